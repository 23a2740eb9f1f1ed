import { createEffect, createMemo, createSignal, onCleanup, Show } from "solid-js";
import type { AttachmentRef } from "../../../protocol/index.ts";
import { errorMessage } from "../api/http.ts";
import { newClientId } from "../state/ids.ts";
import { markRead } from "../state/inbox.ts";
import { mentionsIn } from "../state/mentionPicks.ts";
import type { MessageRow } from "../state/timeline.ts";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { track } from "../stores/reactive.ts";
import { Composer } from "./Composer.tsx";
import { MentionJumpButton } from "./MentionJumpButton.tsx";
import { ConversationHeader } from "./ConversationHeader.tsx";
import { GroupSettings } from "./GroupSettings.tsx";
import { MessageList } from "./MessageList.tsx";
import { PinsPanel } from "./PinsPanel.tsx";
import { ThreadPanel } from "./ThreadPanel.tsx";
import { setThreadTarget, threadTarget } from "../stores/threadTarget.ts";
import { TypingIndicator } from "./TypingIndicator.tsx";
import { type Upload, useUploads } from "./useUploads.ts";

/**
 * One open conversation: holds its connection while on screen, sends read receipts while the
 * person can see it, and routes message actions (send, edit, delete, react, reply) to the socket
 * or the outbox.
 */
export function ConversationView(props: { live: LiveSession; id: string }) {
  const app = useApp();
  const live = props.live;
  const conn = live.registry.acquire(props.id);
  onCleanup(() => live.registry.release(props.id));
  const v = track(conn);
  const info = () => (v(), conn.info);
  const [replyTo, setReplyTo] = createSignal<MessageRow | null>(null);
  const [editing, setEditing] = createSignal<MessageRow | null>(null);
  const [settings, setSettings] = createSignal(false);
  /** The open thread's root (ThreadPanel.tsx); a search hit in a thread asks for one (threadTarget). */
  const [thread, setThread] = createSignal<number | null>(null);
  createEffect(() => {
    const t = threadTarget();
    if (t?.conversationId === props.id) (setThread(t.root), setThreadTarget(null));
  });
  /** ↑ in an empty composer: my newest message in the main timeline that is still there. */
  const editLast = () => {
    const rows = conn.timeline.rows();
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i]!;
      if (r.kind === "message" && r.author === live.user.id && !r.deleted && r.threadRoot === undefined) return setReplyTo(null), setEditing(r), true;
    }
    return false;
  };
  const [dragging, setDragging] = createSignal(false);
  const uploads = useUploads(app.api, props.id, (m) => app.toast(m, "error"));
  // Back online (the socket reconnected): uploads that failed for want of a server go again.
  let wasOpen = conn.open;
  createEffect(() => {
    v();
    if (conn.open && !wasOpen) uploads.retryFailed();
    wasOpen = conn.open;
  });

  // Read receipts: whenever new events land while the tab is visible and the list is at its
  // bottom (scrolled up, the person has not seen them), move my read cursor.
  const [visible, setVisible] = createSignal(document.visibilityState === "visible");
  const [atBottom, setAtBottom] = createSignal(true);
  const onVis = () => setVisible(document.visibilityState === "visible");
  document.addEventListener("visibilitychange", onVis);
  onCleanup(() => document.removeEventListener("visibilitychange", onVis));
  createEffect(() => {
    v();
    const seq = conn.timeline.lastSeq;
    if (!visible() || !atBottom() || !conn.open || seq <= (conn.reads[live.user.id] ?? 0)) return;
    if (conn.frame({ t: "read", seq })) {
      conn.reads = { ...conn.reads, [live.user.id]: seq };
      live.inbox.patch((l) => markRead(l, props.id, seq));
    }
  });

  // Typing: at most one "on" every 2.5 s while keys are pressed; "off" when the text is sent or
  // the box is emptied again.
  let lastTyping = 0;
  const onTyping = (active: boolean) => {
    if (!active) {
      if (lastTyping > 0) conn.frame({ t: "typing", on: false });
      lastTyping = 0;
      return;
    }
    const now = Date.now();
    if (now - lastTyping < 2500) return;
    lastTyping = now;
    conn.frame({ t: "typing", on: true });
  };

  const send = (text: string) => {
    const edit = editing();
    if (edit) {
      if (text.trim() === edit.text.trim()) return setEditing(null), true;
      if (!conn.frame({ t: "edit", clientId: newClientId("e"), base: conn.timeline.lastSeq, target: edit.seq, text })) {
        app.toast("Not connected: edits need a connection.", "error");
        return false;
      }
      setEditing(null);
      return true;
    }
    const ready = uploads.ready();
    if (uploads.busy()) {
      app.toast("Wait for the uploads to finish.", "error");
      return false;
    }
    if (!text.trim() && ready.length === 0) return false;
    const members = info()?.members ?? [];
    const mentions = mentionsIn(text, members, live.user.id, canMentionAll());
    const r = live.send(props.id, text, { replyTo: replyTo()?.seq, attachments: ready as AttachmentRef[], mentions });
    if (!r.ok) {
      app.toast("Too many messages waiting to be sent. Reconnect first.", "error");
      return false;
    }
    lastTyping = 0;
    conn.frame({ t: "typing", on: false });
    setReplyTo(null);
    uploads.clear();
    return true;
  };

  onCleanup(conn.onError((m) => app.toast(m, "error")));

  // Deletes go over REST: it answers yes or no, and carries the account-admin role for moderation.
  const remove = async (row: MessageRow) => {
    if (!(await app.confirm({ title: "Delete this message?", body: "It is deleted for everyone in the conversation.", action: "Delete", danger: true }))) return;
    try {
      await app.api.deleteMessage(props.id, row.seq);
    } catch (e) {
      app.toast(errorMessage(e), "error");
    }
  };

  // A reaction toggles from what was last asked, not from the screen: a second click before the
  // first one's event arrives must undo it, not repeat it.
  const asked = new Map<string, { on: boolean; at: number }>();
  const react = (row: MessageRow, emoji: string) => {
    const key = `${row.seq}:${emoji}`;
    const shown = (row.reactions[emoji] ?? []).includes(live.user.id);
    const last = asked.get(key);
    const current = last && Date.now() - last.at < 5000 ? last.on : shown;
    const on = !current;
    if (!conn.frame({ t: "react", clientId: newClientId("r"), base: conn.timeline.lastSeq, target: row.seq, emoji, on })) return app.toast("Not connected.", "error");
    asked.set(key, { on, at: Date.now() });
  };

  const myRole = createMemo(() => info()?.members.find((m) => m.userId === live.user.id)?.role);
  // The server's rule (protocol/mentions.ts): "@all"/"@here" in groups, by their admins.
  const canMentionAll = () => info()?.type === "group" && myRole() === "admin";
  // Who may pin (drafts.ts): any member of a direct chat, a group's admins.
  const canPin = () => info()?.type === "direct" || myRole() === "admin";
  const pin = (row: MessageRow) => {
    if (!conn.frame({ t: "pin", clientId: newClientId("p"), base: conn.timeline.lastSeq, target: row.seq, on: !row.pinned })) app.toast("Not connected.", "error");
  };

  return (
    <section
      class="conversation"
      classList={{ dragging: dragging(), threaded: thread() !== null }}
      data-testid="conversation-view"
      data-conversation-id={props.id}
      data-socket={(v(), conn.open ? "open" : conn.state)}
      onDragOver={(e) => (e.preventDefault(), setDragging(true))}
      onDragLeave={(e) => e.currentTarget === e.target && setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        if (e.dataTransfer?.files.length) uploads.add([...e.dataTransfer.files]);
      }}
    >
      <ConversationHeader live={live} conn={conn} onSettings={() => setSettings(true)} />
      <Show when={conn.closedReason || (v(), conn.closedReason)}>
        <p class="banner error" role="alert">
          {conn.closedReason}
        </p>
      </Show>
      <Show when={(v(), conn.readOnly)}>
        <p class="banner" role="status" data-testid="read-only">
          Read-only for now: this conversation's storage cannot be reached. What you send is queued and goes out when it is back.
        </p>
      </Show>
      <PinsPanel conn={conn} nameOf={(u) => live.nameOf(u)} />
      <MentionJumpButton live={live} conversationId={props.id} />
      <MessageList
        live={live}
        conn={conn}
        canPin={canPin()}
        onPin={pin}
        onThread={(r) => setThread(r.threadRoot ?? r.seq)}
        canModerate={app.user()?.role === "admin" || myRole() === "admin"}
        onReply={(r) => (setEditing(null), setReplyTo(r))}
        onEdit={(r) => (setReplyTo(null), setEditing(r))}
        onDelete={(r) => void remove(r)}
        onReact={react}
        onAtBottom={setAtBottom}
      />
      <TypingIndicator live={live} conn={conn} />
      <Composer
        conversationId={props.id}
        replyTo={replyTo()}
        editing={editing()}
        nameOf={(u) => live.nameOf(u)}
        uploads={uploads.list() as Upload[]}
        onRemoveUpload={uploads.remove}
        onCancel={() => (setReplyTo(null), setEditing(null))}
        onSend={send}
        onTyping={onTyping}
        onFiles={(files) => uploads.add(files)}
        onEditLast={editLast}
        maxLength={(v(), conn.maxTextLength)}
        disabled={(v(), conn.closedReason)}
        members={(info()?.members ?? []).map((m) => ({ ...m, displayName: live.people.get(m.userId)?.displayName }))}
        me={live.user.id}
        canMentionAll={canMentionAll()}
      />
      <Show when={thread()}>
        {(root) => <ThreadPanel live={live} conn={conn} root={root()} onClose={() => setThread(null)} />}
      </Show>
      <Show when={settings() && info()}>
        <GroupSettings live={live} info={info()!} onClose={() => setSettings(false)} />
      </Show>
    </section>
  );
}
