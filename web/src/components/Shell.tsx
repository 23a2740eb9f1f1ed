import { createSignal, Match, Show, Switch } from "solid-js";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { AccountView } from "./AccountView.tsx";
import { AdminView } from "./AdminView.tsx";
import { CallOverlay } from "./CallOverlay.tsx";
import { ConnectionBadge } from "./ConnectionBadge.tsx";
import { ConversationList } from "./ConversationList.tsx";
import { ConversationView } from "./ConversationView.tsx";
import { NewDirectDialog } from "./NewDirectDialog.tsx";
import { NewGroupDialog } from "./NewGroupDialog.tsx";
import { QuickSwitcher } from "./QuickSwitcher.tsx";
import { SearchPanel } from "./SearchPanel.tsx";
import { SidebarHeader } from "./SidebarHeader.tsx";
import { ProfileCard } from "./ProfileCard.tsx";
import { ProfileDialog } from "./ProfileDialog.tsx";

/**
 * Two panes on a desktop (list | conversation); one at a time on a phone, where opening a
 * conversation slides the list away and the header's back button returns to it.
 */
export function Shell(props: { live: LiveSession }) {
  const app = useApp();
  const [dialog, setDialog] = createSignal<null | "direct" | "group" | "search" | "profile">(null);
  const [card, setCard] = props.live.people.card;
  const close = () => setDialog(null);
  const route = app.route;

  return (
    <div class="shell" classList={{ "show-main": route().name !== "home" }} data-testid="shell">
      <aside class="sidebar" aria-label="Conversations">
        <SidebarHeader onNewDirect={() => setDialog("direct")} onNewGroup={() => setDialog("group")} onSearch={() => setDialog("search")} />
        <ConnectionBadge live={props.live} />
        <ConversationList live={props.live} />
      </aside>
      <main class="main">
        <Switch fallback={<EmptyMain />}>
          <Match when={route().name === "conversation" && (route() as { id: string }).id} keyed>
            {(id) => <ConversationView live={props.live} id={id} />}
          </Match>
          <Match when={route().name === "admin"}>
            <AdminView />
          </Match>
          <Match when={route().name === "account"}>
            <AccountView />
          </Match>
        </Switch>
      </main>
      <CallOverlay live={props.live} />
      <QuickSwitcher live={props.live} />
      <Show when={dialog() === "direct"}>
        <NewDirectDialog onClose={close} />
      </Show>
      <Show when={dialog() === "group"}>
        <NewGroupDialog onClose={close} />
      </Show>
      <Show when={dialog() === "search"}>
        <SearchPanel live={props.live} onClose={close} />
      </Show>
      <Show when={dialog() === "profile"}>
        <ProfileDialog live={props.live} onClose={close} />
      </Show>
      <Show when={card()} keyed>
        {(userId) => <ProfileCard live={props.live} userId={userId} onClose={() => setCard(null)} onEdit={() => (setCard(null), setDialog("profile"))} />}
      </Show>
    </div>
  );
}

function EmptyMain() {
  return (
    <div class="empty-main">
      <p>Pick a conversation, or start a new one.</p>
    </div>
  );
}
