import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from "solid-js";
import type { MessageEvent } from "../../../protocol/index.ts";
import { errorMessage } from "../api/http.ts";
import type { ConversationConnection } from "../net/conversation.ts";
import { newClientId } from "../state/ids.ts";
import { storedMentionLookup } from "../state/mentionPicks.ts";
import type { MessageRow } from "../state/timeline.ts";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { track } from "../stores/reactive.ts";
import { clockTime, shortTime } from "./format.ts";
import { RichText } from "./RichText.tsx";

/**
 * A thread beside the conversation (protocol/threads.ts): the root, its replies (the server's page,
 * then live events through the conversation's own socket and timeline), a composer of its own
 * (replies go over REST with a clientId, so a retry is the same reply), follow/unfollow, and "read up
 * to" sent while the panel shows the newest reply.
 */
export function ThreadPanel(props: { live: LiveSession; conn: ConversationConnection; root: number; onClose(): void }) {
  const app = useApp();
  const v = track(props.conn);
  const [fetched, setFetched] = createSignal<MessageEvent | null>(null);
  const [loaded, setLoaded] = createSignal(0);
  const [following, setFollowing] = createSignal(false);
  const [readSeq, setReadSeq] = createSignal(0);
  const [text, setText] = createSignal("");
  const [sending, setSending] = createSignal(false);
  /** The reply being sent: kept until it is acknowledged, so a retry reuses its clientId. */
  let clientId: string | null = null;

  const load = async (root: number) => {
    try {
      const page = await app.api.thread(props.conn.id, root);
      if (root !== props.root) return;
      props.conn.timeline.putReplies(page.replies);
      setFetched(page.root);
      setFollowing(page.following);
      setReadSeq(page.readSeq);
      setLoaded((n) => n + 1);
    } catch (e) {
      app.toast(errorMessage(e), "error");
    }
  };
  createEffect(on(() => props.root, (root) => void load(root)));

  const root = createMemo((): MessageRow | MessageEvent | null => (v(), props.conn.timeline.message(props.root)) ?? fetched());
  const replies = createMemo(() => (v(), loaded(), props.conn.timeline.repliesOf(props.root)));
  const nameOf = (u: string) => props.live.nameOf(u);

  // Read up to the newest reply while it is on screen (the tab visible), if I follow the thread.
  const [visible, setVisible] = createSignal(document.visibilityState === "visible");
  const onVis = () => setVisible(document.visibilityState === "visible");
  document.addEventListener("visibilitychange", onVis);
  onCleanup(() => document.removeEventListener("visibilitychange", onVis));
  createEffect(() => {
    const last = replies().at(-1)?.seq ?? 0;
    if (!visible() || !following() || last <= readSeq()) return;
    setReadSeq(last);
    app.api.readThread(props.conn.id, props.root, last).catch(() => setReadSeq(0));
  });

  const send = async (e: Event) => {
    e.preventDefault();
    const body = text();
    if (!body.trim() || sending()) return;
    clientId ??= newClientId("t");
    setSending(true);
    try {
      await app.api.sendMessage(props.conn.id, { clientId, text: body, threadRoot: props.root });
      clientId = null;
      setText("");
      setFollowing(true); // replying follows the thread
    } catch (err) {
      app.toast(errorMessage(err), "error");
    } finally {
      setSending(false);
    }
  };

  const toggleFollow = async () => {
    const on = !following();
    try {
      await app.api.followThread(props.conn.id, props.root, on);
      setFollowing(on);
    } catch (err) {
      app.toast(errorMessage(err), "error");
    }
  };

  const Body = (p: { m: MessageRow | MessageEvent }) => (
    <Show when={!p.m.deleted} fallback={<em class="muted" data-testid="thread-text">Message deleted</em>}>
      <div class="msg-text" data-testid="thread-text">
        <RichText text={p.m.text} me={props.live.user.id} mentionOf={storedMentionLookup(p.m.mentions, nameOf)} />
      </div>
    </Show>
  );

  return (
    <aside class="thread-panel" data-testid="thread-panel" data-root={props.root} aria-label="Thread">
      <header class="thread-head">
        <strong>Thread</strong>
        <span class="grow" />
        <button class="ghost small" data-testid="thread-follow" aria-pressed={following()} onClick={() => void toggleFollow()}>
          {following() ? "Following" : "Follow"}
        </button>
        <button class="icon small" aria-label="Close thread" data-testid="thread-close" onClick={() => props.onClose()}>
          ×
        </button>
      </header>
      <div class="thread-body">
        <Show when={root()}>
          <div class="thread-root" data-testid="thread-root">
            <div class="muted small">
              <strong>{nameOf(root()!.author)}</strong> · {shortTime(root()!.ts)}
            </div>
            <Body m={root()!} />
          </div>
        </Show>
        <div class="thread-count muted small" data-testid="thread-count">
          {replies().length === 1 ? "1 reply" : `${replies().length} replies`}
        </div>
        <ul class="thread-replies" role="list">
          <For each={replies()}>
            {(r) => (
              <li class="thread-reply" data-testid="thread-reply" data-seq={r.seq}>
                <div class="muted small">
                  <strong>{nameOf(r.author)}</strong> · {clockTime(r.ts)}
                  <Show when={r.editedTs && !r.deleted}> · edited</Show>
                </div>
                <Body m={r} />
              </li>
            )}
          </For>
        </ul>
      </div>
      <form class="thread-composer" onSubmit={send}>
        <textarea
          rows={2}
          aria-label="Reply in thread"
          placeholder="Reply in thread…"
          data-testid="thread-input"
          value={text()}
          maxLength={props.conn.maxTextLength ?? undefined}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) void send(e);
          }}
        />
        <button class="primary" type="submit" data-testid="thread-send" disabled={sending() || !text().trim()}>
          Reply
        </button>
      </form>
    </aside>
  );
}
