import { createSignal, For, Match, Show, Switch } from "solid-js";
import type { DisplayRow } from "../state/grouping.ts";
import type { MessageRow, Row } from "../state/timeline.ts";
import { useApp } from "../stores/app.tsx";
import { AttachmentView } from "./AttachmentView.tsx";
import { clockTime } from "./format.ts";
import { Icon } from "./Icon.tsx";
import { ReactionPicker } from "./ReactionPicker.tsx";
import { RichText } from "./RichText.tsx";
import { storedMentionLookup } from "../state/mentionPicks.ts";
import { SystemLine } from "./SystemLine.tsx";
import { Avatar } from "./Avatar.tsx";

/** The one message whose reaction picker is open (one at a time, across the whole log). */
const [pickingKey, setPickingKey] = createSignal<string | null>(null);

/** One row of the log: a message bubble (mine or theirs), a queued send, or a system line. */
export function MessageItem(props: {
  conversationId: string;
  row: Row;
  meta?: DisplayRow;
  me: string;
  nameOf(u: string): string;
  replyOf?: MessageRow;
  seenBy?: string[];
  /** Who `seenBy` names, for their faces beside it. */
  seenIds?: string[];
  canDelete: boolean;
  /** Who may pin here (protocol: any member of a direct chat, a group's admins). */
  canPin?: boolean;
  onPin?(r: MessageRow): void;
  /** Open the message's thread (protocol/threads.ts): reply in it, or read its replies. */
  onThread?(r: MessageRow): void;
  onReply(r: MessageRow): void;
  onEdit(r: MessageRow): void;
  onDelete(r: MessageRow): void;
  onReact(r: MessageRow, emoji: string): void;
  onRetry(clientId: string): void;
  onDiscard(clientId: string): void;
}) {
  const app = useApp();
  const row = () => props.row;
  /** The quoted message, brought into view (loading back to it if needed) and flashed. */
  const showQuoted = () => {
    const seq = (row() as MessageRow).replyTo;
    if (seq) app.setJump({ conversationId: props.conversationId, seq });
  };
  const picking = () => pickingKey() === row().key;
  const setPicking = (on: boolean) => setPickingKey(on ? row().key : null);
  const msg = () => (row().kind === "message" ? (row() as MessageRow) : null);
  const mine = () => row().kind !== "system" && (row() as MessageRow).author === props.me;
  const pending = () => (row().kind === "pending" ? (row() as Extract<Row, { kind: "pending" }>) : null);
  const openCard = (userId: string) => app.live()?.people.openCard(userId);

  return (
    <>
      <Show when={props.meta?.day}>
        <div class="day" role="separator" data-testid="day-separator">
          <span>{props.meta!.day}</span>
        </div>
      </Show>
      <Switch>
        <Match when={row().kind === "system"}>
          <SystemLine row={row() as Extract<Row, { kind: "system" }>} nameOf={props.nameOf} />
        </Match>
        <Match when={row().kind !== "system"}>
          <article
            class="msg"
            classList={{ picking: picking(), mine: mine(), first: props.meta?.groupStart !== false, last: props.meta?.groupEnd !== false, pending: !!pending(), failed: !!pending()?.error, deleted: !!msg()?.deleted }}
            data-testid="message"
            data-seq={msg()?.seq}
            data-ts={row().ts}
            data-client-id={(row() as MessageRow).clientId}
            data-status={pending() ? (pending()!.error ? "failed" : pending()!.ackedSeq ? "sent" : "queued") : "delivered"}
            tabindex="-1"
          >
            <Show when={props.meta?.groupStart !== false && !mine()}>
              <div class="msg-author">
                <Avatar name={props.nameOf((row() as MessageRow).author)} userId={(row() as MessageRow).author} size="small" onOpen={() => openCard((row() as MessageRow).author)} />
                <button class="name-link" data-testid="message-author" onClick={() => openCard((row() as MessageRow).author)}>
                  {props.nameOf((row() as MessageRow).author)}
                </button>
              </div>
            </Show>
            <div class="bubble">
              <Show when={props.replyOf || (row() as MessageRow).replyTo}>
                <div
                  class="reply-quote"
                  classList={{ link: !!(row() as MessageRow).replyTo }}
                  data-testid="reply-quote"
                  role="link"
                  tabindex="0"
                  aria-label="Show the quoted message"
                  onClick={showQuoted}
                  onKeyDown={(e) => e.key === "Enter" && showQuoted()}
                >
                  <strong>{props.replyOf ? props.nameOf(props.replyOf.author) : "…"}</strong>{" "}
                  {props.replyOf ? (props.replyOf.deleted ? "deleted message" : props.replyOf.text.slice(0, 100)) : "earlier message"}
                </div>
              </Show>
              <Show when={!msg()?.deleted} fallback={<em class="muted" data-testid="message-text">Message deleted</em>}>
                <Show when={(row() as MessageRow).text}>
                  <div class="msg-text" data-testid="message-text">
                    <RichText text={(row() as MessageRow).text} me={props.me} mentionOf={storedMentionLookup((row() as MessageRow).mentions, props.nameOf)} />
                  </div>
                </Show>
                <For each={(row() as MessageRow).attachments ?? []}>{(a) => <AttachmentView conversationId={props.conversationId} att={a} />}</For>
              </Show>
              <div class="msg-meta">
                <Show when={msg()?.pinned && !msg()?.deleted}>
                  <span class="pinned-mark" data-testid="pinned-mark" title={`Pinned by ${props.nameOf(msg()!.pinned!.by)}`}>
                    <Icon name="pin" size={11} /> pinned ·{" "}
                  </span>
                </Show>
                <Show when={msg()?.editedTs && !msg()?.deleted}>
                  <span data-testid="edited">edited · </span>
                </Show>
                <span>{clockTime(row().ts)}</span>
                <Show when={pending()}>
                  <span class="status" data-testid="pending-status">
                    {pending()!.error ? " · not sent" : pending()!.ackedSeq ? " · sent" : " · waiting"}
                  </span>
                </Show>
              </div>
            </div>
            <Show when={msg() && Object.keys(msg()!.reactions).length > 0}>
              <div class="reactions" data-testid="reactions">
                <For each={Object.entries(msg()!.reactions)}>
                  {([emoji, users]) => (
                    <button
                      class="reaction"
                      classList={{ own: users.includes(props.me) }}
                      data-testid="reaction"
                      data-emoji={emoji}
                      title={users.map(props.nameOf).join(", ")}
                      aria-label={`${emoji} ${users.length}`}
                      onClick={() => props.onReact(msg()!, emoji)}
                    >
                      {emoji} {users.length}
                    </button>
                  )}
                </For>
              </div>
            </Show>
            <Show when={msg()?.thread?.replies}>
              <button class="ghost small thread-summary" data-testid="thread-summary" onClick={() => props.onThread?.(msg()!)}>
                {msg()!.thread!.replies === 1 ? "1 reply" : `${msg()!.thread!.replies} replies`}
                <span class="muted"> · last {clockTime(msg()!.thread!.lastTs)}</span>
              </button>
            </Show>
            <Show when={pending()?.error}>
              <div class="failed-actions">
                <span class="error small">{pending()!.error}</span>
                <button class="ghost small" data-testid="retry" onClick={() => props.onRetry(pending()!.clientId)}>
                  Retry
                </button>
                <button class="ghost small" data-testid="discard" onClick={() => props.onDiscard(pending()!.clientId)}>
                  Discard
                </button>
              </div>
            </Show>
            <Show when={msg() && !msg()!.deleted}>
              <div class="msg-actions" role="toolbar" aria-label="Message actions">
                <button class="icon small" aria-label="React" data-testid="action-react" onClick={() => setPicking(!picking())}>
                  <Icon name="smile" size={16} />
                </button>
                <button class="icon small" aria-label="Reply" data-testid="action-reply" onClick={() => props.onReply(msg()!)}>
                  <Icon name="reply" size={16} />
                </button>
                <Show when={props.onThread}>
                  <button class="icon small" aria-label="Reply in thread" data-testid="action-thread" onClick={() => props.onThread!(msg()!)}>
                    <Icon name="chat" size={16} />
                  </button>
                </Show>
                <Show when={mine()}>
                  <button class="icon small" aria-label="Edit" data-testid="action-edit" onClick={() => props.onEdit(msg()!)}>
                    <Icon name="edit" size={16} />
                  </button>
                </Show>
                <Show when={props.canPin && props.onPin}>
                  <button class="icon small" aria-label={msg()!.pinned ? "Unpin" : "Pin"} aria-pressed={!!msg()!.pinned} data-testid="action-pin" onClick={() => props.onPin!(msg()!)}>
                    <Icon name="pin" size={16} />
                  </button>
                </Show>
                <Show when={props.canDelete}>
                  <button class="icon small" aria-label="Delete" data-testid="action-delete" onClick={() => props.onDelete(msg()!)}>
                    <Icon name="trash" size={16} />
                  </button>
                </Show>
                <Show when={picking()}>
                  <ReactionPicker onPick={(e) => (setPicking(false), props.onReact(msg()!, e))} onClose={() => setPicking(false)} />
                </Show>
              </div>
            </Show>
            <Show when={props.seenBy}>
              <div class="seen" data-testid="seen-by">
                Seen by {props.seenBy!.join(", ")}
                <span class="receipt-faces" aria-hidden="true">
                  <For each={(props.seenIds ?? []).slice(0, 5)}>{(id) => <Avatar name={props.nameOf(id)} userId={id} size="tiny" />}</For>
                </span>
              </div>
            </Show>
          </article>
        </Match>
      </Switch>
    </>
  );
}
