import { onCleanup, onMount } from "solid-js";

/** An image full-window inside the app (not a bare browser tab): Escape, ×, or a click outside closes. */
export function ImageViewer(props: { url: string; name: string; onClose(): void }) {
  let close!: HTMLButtonElement;
  const previous = document.activeElement as HTMLElement | null;
  const onKey = (e: KeyboardEvent) => e.key === "Escape" && (e.stopImmediatePropagation(), props.onClose());
  onMount(() => {
    addEventListener("keydown", onKey, true);
    close.focus();
  });
  onCleanup(() => {
    removeEventListener("keydown", onKey, true);
    previous?.focus?.();
  });
  return (
    <div class="viewer" role="dialog" aria-modal="true" aria-label={props.name} data-testid="image-viewer" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <header class="viewer-head">
        <span class="viewer-name">{props.name}</span>
        <a class="ghost small" href={props.url} download={props.name} data-testid="viewer-download">
          Download
        </a>
        <button ref={close} class="ghost small" aria-label="Close" data-testid="viewer-close" onClick={() => props.onClose()}>
          ×
        </button>
      </header>
      <img src={props.url} alt={props.name} data-testid="viewer-image" onClick={(e) => e.stopPropagation()} />
    </div>
  );
}
