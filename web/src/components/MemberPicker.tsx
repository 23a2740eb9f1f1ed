import { createEffect, createSignal, For, on, Show } from "solid-js";
import type { PublicUser } from "../../../protocol/index.ts";
import { PersonRow } from "./PersonRow.tsx";
import { useDirectory } from "./useDirectory.ts";

/**
 * Pick people: type any part of a name, choose from the suggestions (click, or ↑/↓ and Enter),
 * each pick becomes a chip (× or Backspace removes it). Someone who does not exist cannot be picked,
 * so a typo shows "No one matches" while typing instead of an error after submitting.
 */
export function MemberPicker(props: {
  picked: PublicUser[];
  onChange(users: PublicUser[]): void;
  /** People who cannot be picked (me, existing members). */
  exclude: ReadonlySet<string>;
  label: string;
  testid: string;
  /** The text still typed (not yet a chip), for forms that resolve it on submit. */
  onText?(text: string): void;
  /** Changing it empties the box (the form used what was typed). */
  resetKey?: number;
}) {
  const [text, setText] = createSignal("");
  const [active, setActive] = createSignal(0);
  const dir = useDirectory(() => new Set([...props.exclude, ...props.picked.map((u) => u.id)]));
  let input!: HTMLInputElement;
  createEffect(on(() => props.resetKey, () => (setText(""), dir.clear()), { defer: true }));

  const setTyped = (v: string) => {
    setText(v);
    props.onText?.(v);
    setActive(0);
    void dir.lookup(v);
  };
  const pick = (u: PublicUser) => {
    props.onChange([...props.picked, u]);
    setTyped("");
    dir.clear();
    input.focus();
  };
  const unpick = (id: string) => props.onChange(props.picked.filter((u) => u.id !== id));

  const onKey = (e: KeyboardEvent) => {
    const list = dir.results();
    if (e.key === "ArrowDown" && list.length) (e.preventDefault(), setActive((active() + 1) % list.length));
    else if (e.key === "ArrowUp" && list.length) (e.preventDefault(), setActive((active() - 1 + list.length) % list.length));
    else if (e.key === "Enter" && list.length && text().trim()) (e.preventDefault(), pick(list[Math.min(active(), list.length - 1)]!));
    else if (e.key === "Backspace" && !text() && props.picked.length) unpick(props.picked[props.picked.length - 1]!.id);
  };

  return (
    <div class="member-picker" data-testid={`${props.testid}-picker`}>
      <div class="chips" onClick={() => input.focus()}>
        <For each={props.picked}>
          {(u) => (
            <span class="chip" data-testid="member-chip" data-username={u.username}>
              <PersonRow user={u} />
              <button type="button" aria-label={`Remove ${u.displayName ?? u.username}`} data-testid="member-chip-remove" onClick={() => unpick(u.id)}>
                ×
              </button>
            </span>
          )}
        </For>
        <input
          ref={input}
          aria-label={props.label}
          placeholder={props.picked.length ? "" : "Search by name or username"}
          data-testid={props.testid}
          value={text()}
          autocomplete="off"
          role="combobox"
          aria-expanded={dir.results().length > 0}
          onInput={(e) => setTyped(e.currentTarget.value)}
          onKeyDown={onKey}
        />
      </div>
      <Show when={dir.results().length > 0}>
        <ul class="people-list" role="listbox" data-testid="member-suggestions">
          <For each={dir.results()}>
            {(u, i) => (
              <li role="option" aria-selected={i() === active()}>
                <button type="button" class="ghost person-pick" data-testid="member-suggestion" data-username={u.username} onClick={() => pick(u)}>
                  <PersonRow user={u} />
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={dir.searched() && dir.results().length === 0 && text().trim() && !text().includes(",")}>
        <p class="muted small" data-testid="member-no-match">
          No one matches “{text().trim()}”.
        </p>
      </Show>
    </div>
  );
}

/** Names typed but not picked ("bob, carol"), for forms that accept them as before. */
export const typedNames = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase().replace(/^@/, ""))
    .filter(Boolean);
