import { createResource, createSignal, For, Show } from "solid-js";
import type { AdminAction } from "../../../protocol/index.ts";
import type { AdminUser } from "../api/client.ts";
import { errorMessage } from "../api/http.ts";
import { useApp } from "../stores/app.tsx";
import { Icon } from "./Icon.tsx";
import { Modal } from "./Modal.tsx";

const FOREVER = 8e15;

/** What an account is, in words: deleted, deactivated, locked (until when), or active. */
function statusOf(u: AdminUser): string {
  if (u.state === "deleted") return "Deleted";
  if (u.state === "deactivated") return "Deactivated";
  if (u.lockedUntil && u.lockedUntil > Date.now()) return `Locked${u.lockedUntil < FOREVER ? ` until ${new Date(u.lockedUntil).toLocaleString()}` : ""}`;
  return u.temporaryPasswordUntil ? "Active (temporary password)" : "Active";
}

const ACTION_WORDS: Record<AdminAction["action"], string> = {
  lock: "locked",
  unlock: "unlocked",
  deactivate: "deactivated",
  reactivate: "reactivated",
  reset_password: "reset the password of",
  move_conversation: "moved the home of conversation",
  move_inbox: "moved the inbox home of",
};

/** Accounts at a glance (lock state, failed logins) and what an admin does to them; the audit log.
 *  On a phone each table row is a card, its cells labelled from data-label (styles/widgets.css). */
export function AdminView() {
  const app = useApp();
  const [users, { refetch }] = createResource(() => app.api.adminUsers());
  const [temporary, setTemporary] = createSignal<{ username: string; password: string; expiresAt: number } | null>(null);
  const audit = createAuditLog();
  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
      await refetch();
      await audit.reload();
    } catch (e) {
      app.toast(errorMessage(e), "error");
    }
  };
  const ask = async (u: AdminUser, what: { title: string; body: string; action: string }, f: () => Promise<unknown>) => {
    if (await app.confirm({ ...what, danger: true })) await act(f);
  };
  const lock = (u: AdminUser) =>
    ask(u, { title: `Lock ${u.username}?`, body: `${u.username} is signed out everywhere and cannot log in until unlocked.`, action: "Lock" }, () => app.api.lock(u.id));
  const deactivate = (u: AdminUser) =>
    ask(
      u,
      { title: `Deactivate ${u.username}?`, body: `${u.username} is signed out everywhere, cannot log in and cannot be found, until reactivated.`, action: "Deactivate" },
      () => app.api.deactivate(u.id),
    );
  const reset = (u: AdminUser) =>
    ask(
      u,
      { title: `Reset ${u.username}'s password?`, body: `${u.username} is signed out everywhere. You get a temporary password to give them; they choose a new one when they log in with it.`, action: "Reset password" },
      async () => {
        const r = await app.api.resetPassword(u.id);
        setTemporary({ username: u.username, password: r.temporaryPassword, expiresAt: r.expiresAt });
      },
    );

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
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <For each={users() ?? []}>
              {(u) => (
                <tr data-testid="admin-user" data-username={u.username}>
                  <td>{u.username}</td>
                  <td data-label="Role">{u.role}</td>
                  <td data-label="Failed logins">{u.failedLogins ?? 0}</td>
                  <td data-label="Status" data-testid="admin-user-status">
                    {statusOf(u)}
                  </td>
                  <td>
                    <Show when={u.id !== app.user()?.id && u.state !== "deleted"}>
                      <div class="admin-actions">
                        <Show when={u.state === "deactivated"}>
                          <button class="ghost small" data-testid="admin-reactivate" onClick={() => void act(() => app.api.reactivate(u.id))}>
                            Reactivate
                          </button>
                        </Show>
                        <Show when={u.state !== "deactivated"}>
                          <Show
                            when={u.lockedUntil && u.lockedUntil > Date.now()}
                            fallback={
                              <button class="ghost small" data-testid="admin-lock" onClick={() => void lock(u)}>
                                Lock
                              </button>
                            }
                          >
                            <button class="ghost small" data-testid="admin-unlock" onClick={() => void act(() => app.api.unlock(u.id))}>
                              Unlock
                            </button>
                          </Show>
                          <button class="ghost small" data-testid="admin-deactivate" onClick={() => void deactivate(u)}>
                            Deactivate
                          </button>
                          <button class="ghost small" data-testid="admin-reset" onClick={() => void reset(u)}>
                            Reset password
                          </button>
                        </Show>
                      </div>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
      <AuditLog log={audit} />
      <Show when={temporary()}>
        {(t) => (
          <Modal title={`Temporary password for ${t().username}`} onClose={() => setTemporary(null)}>
            <p>Give it to {t().username} now: it is shown only once. It works until {new Date(t().expiresAt).toLocaleString()}, only to choose a new password.</p>
            <p class="temp-password" data-testid="temp-password">
              {t().password}
            </p>
            <button class="primary" data-testid="temp-password-done" onClick={() => setTemporary(null)}>
              Done
            </button>
          </Modal>
        )}
      </Show>
    </section>
  );
}

/** The newest page of the audit log, and older pages appended on request. */
function createAuditLog() {
  const app = useApp();
  const [actions, setActions] = createSignal<AdminAction[]>([]);
  const [hasMore, setHasMore] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const load = async (before?: number) => {
    try {
      const page = await app.api.audit(before);
      setActions((a) => (before === undefined ? page.actions : [...a, ...page.actions]));
      setHasMore(page.hasMore);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  void load();
  return { actions, hasMore, error, reload: () => load(), older: () => load(actions().at(-1)?.seq) };
}

function AuditLog(props: { log: ReturnType<typeof createAuditLog> }) {
  return (
    <section class="pad" data-testid="audit-log" aria-label="Audit log">
      <h3>Audit log</h3>
      <Show when={!props.log.error()} fallback={<p class="error">{props.log.error()}</p>}>
        <Show when={props.log.actions().length > 0} fallback={<p class="muted small">No admin actions yet.</p>}>
          <table class="users">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
              </tr>
            </thead>
            <tbody>
              <For each={props.log.actions()}>
                {(a) => (
                  <tr data-testid="audit-entry" data-action={a.action}>
                    <td>{new Date(a.at).toLocaleString()}</td>
                    <td data-label="By">{a.admin.username}</td>
                    <td>
                      {ACTION_WORDS[a.action]} {a.targetName ?? a.target}
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Show>
        <Show when={props.log.hasMore()}>
          <button class="ghost small" data-testid="audit-older" onClick={() => void props.log.older()}>
            Older
          </button>
        </Show>
      </Show>
    </section>
  );
}
