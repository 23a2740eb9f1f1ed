import { createSignal, Show } from "solid-js";
import { useApp } from "../stores/app.tsx";
import { Notifier } from "../stores/notifier.ts";
import { ThemeToggle } from "./ThemeToggle.tsx";
import { Avatar } from "./Avatar.tsx";

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
      </div>
      <div class="toolbar" role="toolbar" aria-label="Actions">
        <button class="icon" title="New chat" aria-label="New chat" data-testid="new-direct" onClick={props.onNewDirect}>
          ✎
        </button>
        <button class="icon" title="New group" aria-label="New group" data-testid="new-group" onClick={props.onNewGroup}>
          ⊕
        </button>
        <button class="icon" title="Search messages" aria-label="Search messages" data-testid="open-search" onClick={props.onSearch}>
          ⌕
        </button>
        <Show when={app.user()?.role === "admin"}>
          <button class="icon" title="Admin" aria-label="Admin" data-testid="open-admin" onClick={() => app.navigate({ name: "admin" })}>
            ⚙
          </button>
        </Show>
        <Show when={perm() === "default"}>
          <button class="icon" title="Enable notifications" aria-label="Enable notifications" data-testid="enable-notifications" onClick={ask}>
            🔔
          </button>
        </Show>
        <ThemeToggle />
        <button class="ghost small" data-testid="logout" onClick={() => void app.logout()}>
          Log out
        </button>
      </div>
    </header>
  );
}
