/**
 * "Jump to mention": open a conversation at the oldest unread message that mentions me
 * (state/mentionJump.ts finds it), through the same jump the search and the pins panel use.
 */
import type { AppContext } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { oldestUnreadMention } from "../state/mentionJump.ts";

export async function jumpToOldestMention(app: AppContext, live: LiveSession, conversationId: string, readSeq: number): Promise<void> {
  try {
    const seq = await oldestUnreadMention((before) => app.api.history(conversationId, before, 200), readSeq, live.user.id);
    app.navigate({ name: "conversation", id: conversationId });
    if (seq === null) return app.toast("No unread mention left here.", "info");
    app.setJump({ conversationId, seq });
  } catch {
    app.navigate({ name: "conversation", id: conversationId });
  }
}
