import { Show } from "solid-js";
import type { ConversationSummary, Presence } from "../../../protocol/index.ts";
import { displayTitle, lastSeenLabel, otherMember } from "../state/inbox.ts";
import { relativeNow } from "../stores/clock.ts";
import { Avatar } from "./Avatar.tsx";
import { useApp } from "../stores/app.tsx";
import { shortTime } from "./format.ts";
import { conversationNotify, isMuted } from "../../../protocol/index.ts";
import { track } from "../stores/reactive.ts";
import { Icon } from "./Icon.tsx";
import { jumpToOldestMention } from "./mentionJump.ts";

export function ConversationListItem(props: {
  summary: ConversationSummary;
  me: string;
  presence: Record<string, Presence>;
  selected: boolean;
  onOpen(): void;
}) {
  const app = useApp();
  const c = () => props.summary;
  const nameOf = (userId: string, username: string) => app.live()?.people.displayName(userId, username) ?? username;
  const title = () => displayTitle(c(), props.me, nameOf);
  const other = () => otherMember(c(), props.me);
  const presence = () => {
    const o = other();
    return o ? props.presence[o.userId] : undefined;
  };
  /** The last message's time: a reaction or an edit is not "when we last talked". */
  const time = () => c().preview?.ts ?? c().lastTs;
  const preview = () => {
    const p = c().preview;
    if (!p) return "No messages yet";
    if (p.call) return callPreview(p.call, p.author === props.me);
    const who = p.author === props.me ? "You: " : c().type === "group" ? `${((m) => (m ? nameOf(m.userId, m.username) : "?"))(c().members.find((m) => m.userId === p.author))}: ` : "";
    return who + (p.deleted ? "Message deleted" : p.text || "Attachment");
  };

  // Settings and drafts live in the session; the list re-renders on inbox changes, drafts on typing.
  const live = app.live();
  const draftsChanged = live ? track(live.drafts) : () => 0;
  const inboxChanged = live ? track(live.inbox) : () => 0;
  const draft = () => (draftsChanged(), live?.drafts.get(c().id).trim() ?? "");
  const muted = () => {
    if (!live) return false;
    inboxChanged();
    const n = conversationNotify(live.inbox.notify, c().id);
    return n.level === "nothing" || isMuted(n, Date.now());
  };
  const jump = (e: Event) => {
    e.stopPropagation();
    if (live) void jumpToOldestMention(app, live, c().id, c().readSeq);
  };

  const isMissed = () => c().preview?.call?.outcome === "missed" && c().preview?.author !== props.me;

  return (
    <button
      class="conv-item"
      classList={{ selected: props.selected, unread: c().unread > 0 }}
      aria-current={props.selected ? "page" : undefined}
      data-testid="conversation-item"
      data-conversation-id={c().id}
      data-title={title()}
      onClick={props.onOpen}
    >
      <Avatar name={title()} userId={other()?.userId} group={c().type === "group"} presence={other() ? (presence()?.status ?? "offline") : undefined} />
      <span class="conv-main">
        <span class="conv-top">
          <span class="conv-title">{title()}</span>
          <Show when={muted()}>
            <span class="conv-muted" data-testid="muted-icon" role="img" aria-label="Muted" title="Muted">
              <Icon name="bell-off" size={14} />
            </span>
          </Show>
          <span class="conv-time" data-testid="conversation-time" data-ts={time()}>{time() ? shortTime(time()) : ""}</span>
        </span>
        <span class="conv-bottom">
          <Show
            when={draft() && !props.selected}
            fallback={
              <span class="conv-preview" classList={{ missed: isMissed() }} data-testid="conversation-preview" data-call={c().preview?.call?.outcome}>
                {preview()}
              </span>
            }
          >
            <span class="conv-preview" data-testid="conversation-preview" data-draft="true">
              <span class="draft-label">Draft:</span> {draft()}
            </span>
          </Show>
          <Show when={(c().mentions ?? 0) > 0}>
            <span class="badge mention-badge" data-testid="mention-badge" role="link" aria-label={`${c().mentions} mentions: jump to the first`}
              title={`${c().mentions} mentions: jump to the first`} onClick={jump}>
              @
            </span>
          </Show>
          <Show when={(c().threads ?? 0) > 0}>
            <span class="badge thread-badge" data-testid="thread-badge" aria-label={`${c().threads} new thread replies`} title={`${c().threads} new replies in threads you follow`}>
              <Icon name="chat" size={11} /> {c().threads! > 99 ? "99+" : c().threads}
            </span>
          </Show>
          <Show when={c().unread > 0}>
            <span class="badge" data-testid="unread-badge" aria-label={`${c().unread} unread`}>
              {c().unread > 99 ? "99+" : c().unread}
            </span>
          </Show>
        </span>
        <Show when={other() && presence()?.status !== "online"}>
          <span class="conv-seen" data-testid="last-seen">
            {lastSeenLabel(presence(), relativeNow())}
          </span>
        </Show>
      </span>
    </button>
  );
}

/** A call as the list's last line: "Missed video call" for the callee, "No answer" for the caller. */
function callPreview(call: { media: "audio" | "video"; outcome: "completed" | "missed" | "declined" }, mine: boolean): string {
  const kind = call.media === "video" ? "Video call" : "Audio call";
  if (call.outcome === "missed") return mine ? `${kind} · no answer` : `Missed ${kind.toLowerCase()}`;
  if (call.outcome === "declined") return `${kind} · declined`;
  return kind;
}
