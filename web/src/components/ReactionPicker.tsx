import { For, onCleanup, onMount } from "solid-js";

const EMOJIS = ["👍", "❤️", "😂", "😮", "😢", "🎉", "🙏", "👀"];

/** A small row of emoji; arrow keys move, Enter picks, Escape closes. */
export function ReactionPicker(props: { onPick(emoji: string): void; onClose(): void }) {
  let box!: HTMLDivElement;
  onMount(() => {
    (box.querySelector("button") as HTMLButtonElement | null)?.focus();
    // A press anywhere outside its toolbar closes it (the toolbar's own React button toggles it).
    const away = (e: PointerEvent) => !box.parentElement?.contains(e.target as Node) && props.onClose();
    document.addEventListener("pointerdown", away, true);
    onCleanup(() => document.removeEventListener("pointerdown", away, true));
  });
  const onKey = (e: KeyboardEvent) => {
    const buttons = [...box.querySelectorAll("button")];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === "Escape") (e.stopPropagation(), props.onClose());
    if (e.key === "ArrowRight") buttons[(i + 1) % buttons.length]?.focus();
    if (e.key === "ArrowLeft") buttons[(i - 1 + buttons.length) % buttons.length]?.focus();
  };
  return (
    <div class="picker" ref={box} role="menu" aria-label="Pick a reaction" onKeyDown={onKey} data-testid="reaction-picker">
      <For each={EMOJIS}>
        {(e) => (
          <button role="menuitem" class="icon small" data-emoji={e} onClick={() => props.onPick(e)}>
            {e}
          </button>
        )}
      </For>
    </div>
  );
}
