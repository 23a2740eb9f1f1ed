import { createSignal, Show } from "solid-js";
import type { ConversationConnection } from "../net/conversation.ts";
import { displayTitle, lastSeenLabel, otherMember } from "../state/inbox.ts";
import { memberCount } from "../state/names.ts";
import { relativeNow } from "../stores/clock.ts";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { track } from "../stores/reactive.ts";
import { Avatar } from "./Avatar.tsx";
import { Icon } from "./Icon.tsx";
import { NotifySettingsDialog } from "./NotifySettingsDialog.tsx";
import { conversationNotify, isMuted } from "../../../protocol/index.ts";

/** Back (phone), who this is (presence / member count), calls for 1:1, settings for groups. */
export function ConversationHeader(props: { live: LiveSession; conn: ConversationConnection; onSettings(): void }) {
  const app = useApp();
  const v = track(props.conn);
  const iv = track(props.live.inbox);
  const me = props.live.user.id;
  const info = () => (v(), props.conn.info);
  const title = () => {
    const i = info();
    iv();
    const known = i ?? props.live.summary(props.conn.id);
    return known ? displayTitle(known, me, (id, username) => props.live.people.displayName(id, username)) : "…";
  };
  const other = () => {
    const i = info();
    return i ? otherMember(i, me) : undefined;
  };
  /** A group's picture: from the conversation once it is open (its events keep it current), else the list row. */
  const groupPicture = () => {
    const i = info();
    iv();
    const known = i ?? props.live.summary(props.conn.id);
    return known?.type === "group" ? { conversationId: props.conn.id, version: known.picture } : undefined;
  };
  const presence = () => {
    iv();
    const o = other();
    return o ? props.live.inbox.knownPresence[o.userId] : undefined;
  };
  const call = (media: "audio" | "video") => void props.live.calls.start(props.conn.id, title(), media);
  const [notifyOpen, setNotifyOpen] = createSignal(false);
  const quiet = () => {
    iv();
    const c = conversationNotify(props.live.inbox.notify, props.conn.id);
    return c.level === "nothing" || isMuted(c, Date.now());
  };

  return (
    <header class="conv-header">
      <button class="icon back" aria-label="Back to conversations" data-testid="back" onClick={() => app.navigate({ name: "home" })}>
        <Icon name="back" />
      </button>
      <Avatar
        name={title()}
        userId={other()?.userId}
        group={info()?.type === "group"}
        groupPicture={groupPicture()}
        presence={other() ? (presence()?.status ?? "offline") : undefined}
        onOpen={other() ? () => props.live.people.openCard(other()!.userId) : undefined}
      />
      <div class="conv-header-text">
        <h2 data-testid="conversation-title">{title()}</h2>
        <span class="muted small" data-testid="conversation-subtitle">
          {info()?.type === "group" ? memberCount(info()!.members.length) : lastSeenLabel(presence(), relativeNow())}
        </span>
      </div>
      <div class="toolbar">
        <button class="icon" title="Notifications" aria-label={quiet() ? "Notifications (muted)" : "Notifications"} data-testid="notify-menu"
          data-muted={quiet() ? "true" : undefined} onClick={() => setNotifyOpen(true)}>
          <Icon name={quiet() ? "bell-off" : "bell"} />
        </button>
        <Show when={info()?.type === "direct"}>
          <button class="icon" title="Audio call" aria-label="Audio call" data-testid="call-audio" onClick={() => call("audio")}>
            <Icon name="phone" />
          </button>
          <button class="icon" title="Video call" aria-label="Video call" data-testid="call-video" onClick={() => call("video")}>
            <Icon name="video" />
          </button>
        </Show>
        <Show when={info()?.type === "group"}>
          <button class="icon" title="Group settings" aria-label="Group settings" data-testid="group-settings" onClick={props.onSettings}>
            <Icon name="more" />
          </button>
        </Show>
      </div>
      <Show when={notifyOpen()}>
        <NotifySettingsDialog live={props.live} conversationId={props.conn.id} onClose={() => setNotifyOpen(false)} />
      </Show>
    </header>
  );
}
