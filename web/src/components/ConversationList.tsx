import { For, Show } from "solid-js";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { track } from "../stores/reactive.ts";
import { ConversationListItem } from "./ConversationListItem.tsx";
import { ListRowGroup } from "./groupPicture.ts";

/** The inbox: newest activity first, straight from the inbox socket. */
export function ConversationList(props: { live: LiveSession }) {
  const app = useApp();
  const v = track(props.live.inbox);
  const list = () => (v(), props.live.inbox.list);
  const selected = () => {
    const r = app.route();
    return r.name === "conversation" ? r.id : null;
  };

  return (
    <nav class="conv-list" data-testid="conversation-list">
      <Show when={props.live.inbox.loaded || (v(), props.live.inbox.loaded)} fallback={<p class="muted pad">Loading conversations…</p>}>
        <Show when={list().length > 0} fallback={<p class="muted pad">No conversations yet. Start a chat or create a group from the buttons above.</p>}>
          <ul role="list">
            <For each={list()}>
              {(c) => (
                <li>
                  {/* A group row's avatar shows the group's picture (groupPicture.ts). */}
                  <ListRowGroup.Provider value={() => (c.type === "group" ? { conversationId: c.id, version: c.picture } : undefined)}>
                    <ConversationListItem
                      summary={c}
                      me={props.live.user.id}
                      presence={(v(), props.live.inbox.knownPresence)}
                      selected={selected() === c.id}
                      onOpen={() => app.navigate({ name: "conversation", id: c.id })}
                    />
                  </ListRowGroup.Provider>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </Show>
    </nav>
  );
}
