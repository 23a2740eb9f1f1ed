import { For } from "solid-js";
import type { Mentionable } from "../state/mentionPicks.ts";

/** The "@name" suggestions above the message box. Clicks must not take focus from the box
 *  (mousedown is prevented), so typing goes on after a pick. */
export function MentionSuggest(props: { options: Mentionable[]; active: number; onPick(m: Mentionable): void }) {
  return (
    <ul class="mention-suggest" role="listbox" aria-label="Mention someone" data-testid="mention-suggestions">
      <For each={props.options}>
        {(m, i) => (
          <li
            role="option"
            aria-selected={i() === props.active}
            classList={{ active: i() === props.active }}
            data-testid="mention-option"
            data-user-id={m.userId}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => props.onPick(m)}
          >
            {m.displayName ? (
              <>
                <strong>{m.displayName}</strong> <span class="muted">@{m.username}</span>
              </>
            ) : (
              <>@{m.username}</>
            )}
            {m.userId.startsWith("@") ? <span class="muted"> — everyone here</span> : null}
          </li>
        )}
      </For>
    </ul>
  );
}
