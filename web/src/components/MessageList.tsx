import { createEffect, createMemo, createSignal, For, on, onCleanup, onMount, Show } from "solid-js";
import type { ConversationConnection } from "../net/conversation.ts";
import { groupRows, seenBy } from "../state/grouping.ts";
import type { MessageRow } from "../state/timeline.ts";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { track } from "../stores/reactive.ts";
import { MessageItem } from "./MessageItem.tsx";

/**
 * The scrolling history. Scrolling near the top loads the previous page and keeps the reading
 * position; new messages scroll into view only if the person was already at the bottom. Away from
 * the bottom, messages from others that arrive below are announced ("New messages"), and the
 * parent is told (`onAtBottom`): it sends read receipts only for what is in view.
 */
export function MessageList(props: {
  live: LiveSession;
  conn: ConversationConnection;
  canModerate: boolean;
  canPin?: boolean;
  onPin?(r: MessageRow): void;
  onThread?(r: MessageRow): void;
  onReply(r: MessageRow): void;
  onEdit(r: MessageRow): void;
  onDelete(r: MessageRow): void;
  onReact(r: MessageRow, emoji: string): void;
  onAtBottom?(atBottom: boolean): void;
}) {
  const app = useApp();
  const conn = props.conn;
  const me = props.live.user.id;
  const v = track(conn);
  let box!: HTMLDivElement;
  const [atBottom, setAtBottomSignal] = createSignal(true);
  const setAtBottom = (b: boolean) => {
    if (b === atBottom()) return;
    setAtBottomSignal(b);
    props.onAtBottom?.(b);
  };

  const rows = createMemo(() => (v(), conn.timeline.rows()));
  const meta = createMemo(() => new Map(groupRows(rows()).map((d) => [d.row.key, d])));
  /** The newest message of mine someone has read: where "Seen by" goes. */
  const seen = createMemo(() => {
    v();
    // Everyone with a read cursor, members or not any more (their name then comes from the history).
    const names = Object.fromEntries(Object.keys(conn.reads).map((u) => [u, props.live.nameOf(u)]));
    const list = rows();
    for (let i = list.length - 1; i >= 0; i--) {
      const r = list[i]!;
      if (r.kind !== "message" || r.author !== me) continue;
      const who = seenBy(r.seq, me, conn.reads, names);
      const ids = Object.keys(conn.reads).filter((u) => u !== me && conn.reads[u]! >= r.seq);
      if (who.length) return { seq: r.seq, who, ids };
    }
    return null;
  });

  const loadOlder = async () => {
    const before = box.scrollHeight;
    const top = box.scrollTop;
    const added = await conn.loadOlder();
    if (added) box.scrollTop = top + (box.scrollHeight - before);
  };

  /** A message from someone else after my read cursor: it arrived below while I read further up. */
  const unseenBelow = createMemo(() => {
    v();
    const read = conn.reads[me] ?? 0;
    const list = rows();
    for (let i = list.length - 1; i >= 0; i--) {
      const r = list[i]!;
      if (r.kind === "pending") continue;
      if (r.seq <= read) return false;
      if (r.kind === "message" && r.author !== me) return true;
    }
    return false;
  });
  const toBottom = () => {
    box.scrollTop = box.scrollHeight;
    setAtBottom(true);
  };

  const onScroll = () => {
    setAtBottom(box.scrollHeight - box.scrollTop - box.clientHeight < 80);
    if (box.scrollTop < 150) void loadOlder();
  };

  // After each change: follow the bottom, and fill the screen if the first page is short.
  createEffect(
    on(rows, () => {
      if (atBottom()) {
        box.scrollTop = box.scrollHeight;
        // Once more after the browser has laid the new rows out.
        requestAnimationFrame(() => atBottom() && (box.scrollTop = box.scrollHeight));
      }
      if (conn.timeline.loaded && conn.timeline.hasMore && box.scrollHeight <= box.clientHeight + 10) void loadOlder();
    }),
  );
  onMount(() => {
    box.scrollTop = box.scrollHeight;
    // Anything that still grows after layout (an image decoding, a font) keeps the newest message
    // in view if that is where the person was. `load` does not bubble: listen in the capture phase.
    const stick = () => atBottom() && (box.scrollTop = box.scrollHeight);
    box.addEventListener("load", stick, true);
    onCleanup(() => box.removeEventListener("load", stick, true));
  });

  // Jump to a search hit: load back until it is in the window, then bring it into view.
  createEffect(() => {
    const j = app.jump();
    v();
    if (!j || j.conversationId !== conn.id || !conn.timeline.loaded) return;
    app.setJump(null);
    void conn.loadUntil(j.seq).then((found) => {
      const el = box.querySelector<HTMLElement>(`[data-seq="${j.seq}"]`);
      if (!found || !el) return app.toast("That message is no longer available.", "error");
      setAtBottom(false);
      el.scrollIntoView({ block: "center" });
      el.classList.add("flash");
      el.focus({ preventScroll: true });
      setTimeout(() => el.classList.remove("flash"), 2500);
    });
  });

  /**
   * Keyboard: arrow keys walk the messages (one focus stop for the whole log, not hundreds);
   * a focused message shows its actions, which Tab then reaches. Home/End jump to the ends.
   */
  const onKeyDown = (e: KeyboardEvent) => {
    if (!["ArrowUp", "ArrowDown", "Home", "End"].includes(e.key)) return;
    const items = [...box.querySelectorAll<HTMLElement>('[data-testid="message"]')];
    if (!items.length) return;
    const current = items.findIndex((el) => el === document.activeElement || el.contains(document.activeElement));
    if (current >= 0 && e.target !== items[current] && (e.key === "Home" || e.key === "End")) return;
    e.preventDefault();
    let next: number;
    if (e.key === "Home") next = 0;
    else if (e.key === "End") next = items.length - 1;
    else if (current < 0) next = items.length - 1;
    else next = Math.max(0, Math.min(items.length - 1, current + (e.key === "ArrowUp" ? -1 : 1)));
    items[next]!.focus();
    if (next === 0 && e.key !== "End") void loadOlder();
  };

  const replyOf = (r: MessageRow | { replyTo?: number }) => (r.replyTo ? (v(), conn.timeline.message(r.replyTo)) : undefined);

  return (
    <div
      class="messages"
      ref={box}
      onScroll={onScroll}
      onKeyDown={onKeyDown}
      data-testid="message-list"
      role="log"
      aria-label="Messages (arrow keys move between messages)"
      tabindex="0"
    >
      <Show when={(v(), !conn.timeline.loaded)}>
        <p class="muted center pad" data-testid="history-loading">
          {conn.state === "open" || conn.state === "connecting" ? "Loading…" : "Waiting for the connection to load the history…"}
        </p>
      </Show>
        <Show when={(v(), conn.loadingOlder)}>
          <p class="muted center small">Loading earlier messages…</p>
        </Show>
        <Show when={(v(), conn.timeline.loaded && !conn.timeline.hasMore) && rows().length > 0}>
          <p class="muted center small" data-testid="history-start">
            Beginning of the conversation
          </p>
        </Show>
        <For each={rows()}>
          {(row) => (
            <MessageItem
              conversationId={conn.id}
              row={row}
              meta={meta().get(row.key)}
              me={me}
              nameOf={(u) => props.live.nameOf(u)}
              replyOf={replyOf(row as MessageRow)}
              seenBy={seen()?.seq === (row as MessageRow).seq && row.kind === "message" ? seen()!.who : undefined}
              seenIds={seen()?.seq === (row as MessageRow).seq && row.kind === "message" ? seen()!.ids : undefined}
              canDelete={row.kind === "message" && (row.author === me || props.canModerate)}
              canPin={props.canPin}
              onPin={props.onPin}
              onThread={props.onThread}
              onReply={props.onReply}
              onEdit={props.onEdit}
              onDelete={props.onDelete}
              onReact={props.onReact}
              onRetry={(id) => props.live.retry(id)}
              onDiscard={(id) => props.live.discard(id)}
            />
          )}
        </For>
        <Show when={!atBottom() && unseenBelow()}>
          <button class="new-below" data-testid="new-messages" onClick={toBottom}>
            New messages ↓
          </button>
        </Show>
    </div>
  );
}
