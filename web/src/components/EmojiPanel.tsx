import { createResource, createSignal, For, onMount, Show } from "solid-js";
import { type EmojiEntry, loadEmojiCatalog, searchEmoji } from "./emojiCatalog.ts";

/** Every emoji with a search box (the reaction picker's "more"): type to filter, Enter picks the first. */
export function EmojiPanel(props: { onPick(emoji: string): void; onClose(): void }) {
  const [all] = createResource<EmojiEntry[]>(loadEmojiCatalog);
  const [query, setQuery] = createSignal("");
  const shown = () => (all() ? searchEmoji(all()!, query()) : []);
  let input!: HTMLInputElement;
  onMount(() => input.focus());
  return (
    <div class="emoji-panel" data-testid="emoji-panel" role="dialog" aria-label="All emoji">
      <input
        ref={input}
        type="search"
        placeholder="Search emoji"
        aria-label="Search emoji"
        data-testid="emoji-search"
        value={query()}
        onInput={(e) => setQuery(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") (e.stopPropagation(), props.onClose());
          if (e.key === "Enter" && shown()[0]) (e.preventDefault(), props.onPick(shown()[0]!.emoji));
        }}
      />
      <Show when={!all.loading} fallback={<p class="muted small">Loading…</p>}>
        <Show when={!all.error} fallback={<p class="muted small">Could not load the emoji list.</p>}>
          <div class="emoji-grid" role="listbox" aria-label="Emoji">
            <For each={shown()} fallback={<p class="muted small">No emoji found</p>}>
              {(e) => (
                <button role="option" class="icon small" title={e.label} aria-label={e.label} data-testid="emoji-option" data-emoji={e.emoji} onClick={() => props.onPick(e.emoji)}>
                  {e.emoji}
                </button>
              )}
            </For>
          </div>
        </Show>
      </Show>
    </div>
  );
}
