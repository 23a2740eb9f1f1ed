import { createResource, For, Show } from "solid-js";
import { errorMessage } from "../api/http.ts";
import { useApp } from "../stores/app.tsx";
import { Icon } from "./Icon.tsx";

/** Accounts at a glance: lock state, failed logins; lock and unlock. */
export function AdminView() {
  const app = useApp();
  const [users, { refetch }] = createResource(() => app.api.adminUsers());
  const act = async (f: () => Promise<void>) => {
    try {
      await f();
      await refetch();
    } catch (e) {
      app.toast(errorMessage(e), "error");
    }
  };
  const lock = async (id: string, username: string) => {
    const ok = await app.confirm({ title: `Lock ${username}?`, body: `${username} is signed out everywhere and cannot log in until unlocked.`, action: "Lock", danger: true });
    if (ok) await act(() => app.api.lock(id));
  };
  const locked = (until: number | null | undefined) => !!until && until > Date.now();

  return (
    <section class="admin" data-testid="admin-view">
      <header class="conv-header">
        <button class="icon back" aria-label="Back" onClick={() => app.navigate({ name: "home" })}>
          <Icon name="back" />
        </button>
        <h2>Users</h2>
      </header>
      <p class="muted pad small">Admins can also delete any message from its conversation.</p>
      <Show when={!users.error} fallback={<p class="error pad">{errorMessage(users.error)}</p>}>
        <table class="users">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Failed logins</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="sr-only">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <For each={users() ?? []}>
              {(u) => (
                <tr data-testid="admin-user" data-username={u.username}>
                  <td>{u.username}</td>
                  <td>{u.role}</td>
                  <td>{u.failedLogins ?? 0}</td>
                  <td data-testid="admin-user-status">{locked(u.lockedUntil) ? `Locked${u.lockedUntil! < 8e15 ? ` until ${new Date(u.lockedUntil!).toLocaleString()}` : ""}` : "Active"}</td>
                  <td>
                    <Show when={u.id !== app.user()?.id}>
                      <Show
                        when={locked(u.lockedUntil)}
                        fallback={
                          <button class="ghost small" data-testid="admin-lock" onClick={() => void lock(u.id, u.username)}>
                            Lock
                          </button>
                        }
                      >
                        <button class="ghost small" data-testid="admin-unlock" onClick={() => void act(() => app.api.unlock(u.id))}>
                          Unlock
                        </button>
                      </Show>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
    </section>
  );
}
