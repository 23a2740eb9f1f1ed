import { createSignal, For, lazy, onCleanup, onMount, Show, Suspense } from "solid-js";

const EMOJIS = ["👍", "❤️", "😂", "😮", "😢", "🎉", "🙏", "👀"];
/** Every emoji with search, loaded on first use (its code and data are chunks of their own). */
const EmojiPanel = lazy(() => import("./EmojiPanel.tsx").then((m) => ({ default: m.EmojiPanel })));

/** A small row of emoji and "+" for all of them; arrow keys move, Enter picks, Escape closes. */
export function ReactionPicker(props: { onPick(emoji: string): void; onClose(): void }) {
  const [more, setMore] = createSignal(false);
  let box!: HTMLDivElement;
  onMount(() => {
    (box.querySelector("button") as HTMLButtonElement | null)?.focus();
    // A press anywhere outside its toolbar closes it (the toolbar's own React button toggles it).
    const away = (e: PointerEvent) => !box.parentElement?.contains(e.target as Node) && props.onClose();
    document.addEventListener("pointerdown", away, true);
    onCleanup(() => document.removeEventListener("pointerdown", away, true));
  });
  const onKey = (e: KeyboardEvent) => {
    const buttons = [...box.querySelectorAll(":scope > button")] as HTMLButtonElement[];
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
      <button role="menuitem" class="icon small" aria-label="More emoji" aria-expanded={more()} data-testid="reaction-more" onClick={() => setMore(!more())}>
        +
      </button>
      <Show when={more()}>
        <Suspense>
          <EmojiPanel onPick={props.onPick} onClose={() => (setMore(false), box.querySelector<HTMLButtonElement>('[data-testid="reaction-more"]')?.focus())} />
        </Suspense>
      </Show>
    </div>
  );
}
