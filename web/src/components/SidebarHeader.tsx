import { createSignal, Show } from "solid-js";
import { useApp } from "../stores/app.tsx";
import { Notifier } from "../stores/notifier.ts";
import { ThemeToggle } from "./ThemeToggle.tsx";
import { Avatar } from "./Avatar.tsx";
import { Icon } from "./Icon.tsx";

/** Who I am, the actions that start something (chat, group, search), admin, theme, logout. */
export function SidebarHeader(props: { onNewDirect(): void; onNewGroup(): void; onSearch(): void }) {
  const app = useApp();
  const [perm, setPerm] = createSignal(Notifier.permission);
  const ask = async () => setPerm(await Notifier.request());

  return (
    <header class="sidebar-header">
      <div class="me">
        <Avatar name={app.user()?.username ?? "?"} />
        <strong data-testid="me-name">{app.user()?.username}</strong>
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
    </header>
  );
}
