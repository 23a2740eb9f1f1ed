import { createMemo, createSignal, Show, untrack } from "solid-js";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { jumpToOldestMention } from "./mentionJump.ts";

/**
 * In a conversation opened with unread mentions: a button that jumps to the oldest of them. The
 * count and the read cursor are taken as the conversation opens (opening it reads it, which zeroes
 * the inbox's count at once).
 */
export function MentionJumpButton(props: { live: LiveSession; conversationId: string }) {
  const app = useApp();
  const [used, setUsed] = createSignal<string | null>(null);
  const opened = createMemo(() => {
    const id = props.conversationId;
    const s = untrack(() => props.live.summary(id));
    return { id, mentions: s?.mentions ?? 0, readSeq: s?.readSeq ?? 0 };
  });
  const show = () => opened().mentions > 0 && used() !== opened().id;
  const go = async () => {
    const o = opened();
    setUsed(o.id);
    await jumpToOldestMention(app, props.live, o.id, o.readSeq);
  };
  return (
    <Show when={show()}>
      <button class="mention-jump small" data-testid="jump-to-mention" onClick={() => void go()}>
        @ {opened().mentions === 1 ? "1 mention" : `${opened().mentions} mentions`} · jump to the first
      </button>
    </Show>
  );
}
