import { createEffect, createMemo, createSignal, For, on, Show } from "solid-js";
import type { MessageEvent } from "../../../protocol/index.ts";
import { errorMessage } from "../api/http.ts";
import type { ConversationConnection } from "../net/conversation.ts";
import { useApp } from "../stores/app.tsx";
import { track } from "../stores/reactive.ts";
import { Icon } from "./Icon.tsx";

/**
 * The conversation's pinned messages: a strip above the log saying how many, opening a list;
 * picking one jumps to it. The list is asked from the server (GET …/pins) when the conversation
 * opens, when the panel opens, and when a pin changes among the loaded messages.
 */
export function PinsPanel(props: { conn: ConversationConnection; nameOf(userId: string): string }) {
  const app = useApp();
  const v = track(props.conn);
  const [pins, setPins] = createSignal<MessageEvent[]>([]);
  const [open, setOpen] = createSignal(false);
  const load = async () => {
    try {
      setPins(await app.api.pins(props.conn.id));
    } catch (e) {
      app.toast(errorMessage(e), "error");
    }
  };
  // What is pinned among the loaded rows: when it changes, the server's list changed too.
  const shown = createMemo(() => {
    v();
    return props.conn.timeline.rows().filter((r) => r.kind === "message" && r.pinned).map((r) => r.key).join(",");
  });
  createEffect(on(shown, () => void load()));

  return (
    <Show when={pins().length > 0}>
      <div class="pins" data-testid="pins">
        <button class="ghost small pins-toggle" data-testid="pins-toggle" aria-expanded={open()} onClick={() => (setOpen(!open()), open() && void load())}>
          <Icon name="pin" size={14} /> {pins().length} pinned
        </button>
        <Show when={open()}>
          <ul class="pins-list" data-testid="pins-list">
            <For each={pins()}>
              {(p) => (
                <li>
                  <button class="ghost pin-item" data-testid="pin-item" data-seq={p.seq} onClick={() => (setOpen(false), app.setJump({ conversationId: props.conn.id, seq: p.seq }))}>
                    <strong>{props.nameOf(p.author)}</strong> {p.text.slice(0, 120) || "Attachment"}
                  </button>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </div>
    </Show>
  );
}
