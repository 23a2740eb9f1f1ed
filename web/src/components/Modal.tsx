import { onCleanup, onMount, type ParentProps } from "solid-js";

/** A dialog: focus moves in on open and back on close; Escape and the backdrop close it. */
export function Modal(props: ParentProps<{ title: string; onClose(): void; testid?: string; wide?: boolean }>) {
  let box!: HTMLDivElement;
  const previous = document.activeElement as HTMLElement | null;
  const onKey = (e: KeyboardEvent) => e.key === "Escape" && props.onClose();
  onMount(() => {
    document.addEventListener("keydown", onKey);
    (box.querySelector("input, textarea, button:not(.close)") as HTMLElement | null)?.focus();
  });
  onCleanup(() => {
    document.removeEventListener("keydown", onKey);
    previous?.focus?.();
  });
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div ref={box} class="modal" classList={{ wide: props.wide }} role="dialog" aria-modal="true" aria-label={props.title} data-testid={props.testid}>
        <header class="modal-head">
          <h2>{props.title}</h2>
          <button class="ghost small close" aria-label="Close" onClick={props.onClose}>
            ×
          </button>
        </header>
        {props.children}
      </div>
    </div>
  );
}
