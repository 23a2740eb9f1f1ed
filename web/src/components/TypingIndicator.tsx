import type { ConversationConnection } from "../net/conversation.ts";
import type { LiveSession } from "../stores/live.ts";
import { track } from "../stores/reactive.ts";

export function TypingIndicator(props: { live: LiveSession; conn: ConversationConnection }) {
  const v = track(props.conn);
  const names = () => (v(), [...props.conn.typing.keys()].map((u) => props.live.nameOf(u)));
  const text = () => {
    const n = names();
    if (n.length === 0) return "";
    if (n.length === 1) return `${n[0]} is typing…`;
    if (n.length === 2) return `${n[0]} and ${n[1]} are typing…`;
    return `${n.length} people are typing…`;
  };
  return (
    <div class="typing" data-testid="typing-indicator" aria-live="polite">
      {text()}
    </div>
  );
}
