import { createEffect, createSignal, onCleanup, Show } from "solid-js";
import { useApp } from "../stores/app.tsx";
import { Notifier } from "../stores/notifier.ts";
import { ThemeToggle } from "./ThemeToggle.tsx";
import { Avatar } from "./Avatar.tsx";
import { Icon } from "./Icon.tsx";
import { DndDialog } from "./DndDialog.tsx";
import { dndActive } from "../../../protocol/index.ts";

/** Who I am, the actions that start something (chat, group, search), admin, theme, logout. */
export function SidebarHeader(props: { onNewDirect(): void; onNewGroup(): void; onSearch(): void }) {
  const app = useApp();
  const [perm, setPerm] = createSignal(Notifier.permission);
  const ask = async () => setPerm(await Notifier.request());
  const [dndOpen, setDndOpen] = createSignal(false);
  // Re-read on inbox changes (a `notify` frame from another device). Subscribed once per session:
  // subscribing from inside the computation it wakes would add a listener on every change.
  const [inboxTick, setInboxTick] = createSignal(0);
  createEffect(() => {
    const live = app.live();
    if (live) onCleanup(live.inbox.subscribe(() => setInboxTick((n) => n + 1)));
  });
  const quiet = () => {
    inboxTick();
    const live = app.live();
    return !!live && dndActive(live.inbox.notify.dnd, Date.now());
  };
  const myName = () => {
    const u = app.user();
    return u ? (app.live()?.people.displayName(u.id, u.username) ?? u.username) : "?";
  };
  const openMine = () => {
    const u = app.user();
    if (u) app.live()?.people.openCard(u.id);
  };

  return (
    <header class="sidebar-header">
      <div class="me">
        <Avatar name={myName()} userId={app.user()?.id} onOpen={openMine} />
        <button class="name-link" data-testid="me-name" title="Your profile" onClick={openMine}>
          <strong>{myName()}</strong>
        </button>
        <button class="icon" title="Your account" aria-label="Your account" data-testid="open-account" onClick={() => app.navigate({ name: "account" })}>
          <Icon name="key" />
        </button>
        <button class="icon" classList={{ active: quiet() }} title={quiet() ? "Do not disturb is on" : "Do not disturb"} aria-label="Do not disturb"
          data-testid="open-dnd" onClick={() => setDndOpen(true)}>
          <Icon name={quiet() ? "bell-off" : "moon"} />
        </button>
        <button class="icon" title="Log out" aria-label="Log out" data-testid="logout" onClick={() => void app.logout()}>
          <Icon name="logout" />
        </button>
      </div>
      <div class="toolbar" role="toolbar" aria-label="Actions">
        <button class="icon" title="New chat" aria-label="New chat" data-testid="new-direct" onClick={props.onNewDirect}>
          <Icon name="chat" />
        </button>
        <button class="icon" title="New group" aria-label="New group" data-testid="new-group" onClick={props.onNewGroup}>
          <Icon name="group" />
        </button>
        <button class="icon" title="Search messages" aria-label="Search messages" data-testid="open-search" onClick={props.onSearch}>
          <Icon name="search" />
        </button>
        <Show when={app.user()?.role === "admin"}>
          <button class="icon" title="Admin" aria-label="Admin" data-testid="open-admin" onClick={() => app.navigate({ name: "admin" })}>
            <Icon name="shield" />
          </button>
        </Show>
        <Show when={perm() === "default"}>
          <button class="icon" title="Enable notifications" aria-label="Enable notifications" data-testid="enable-notifications" onClick={ask}>
            <Icon name="bell" />
          </button>
        </Show>
        <ThemeToggle />
      </div>
      <Show when={dndOpen() && app.live()}>
        <DndDialog live={app.live()!} onClose={() => setDndOpen(false)} />
      </Show>
    </header>
  );
}
