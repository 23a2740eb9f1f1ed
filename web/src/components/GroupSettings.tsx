import { createSignal, For, Show } from "solid-js";
import type { ConversationInfo } from "../../../protocol/index.ts";
import { errorMessage } from "../api/http.ts";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { Modal } from "./Modal.tsx";
import { FormError } from "./FormError.tsx";

/** Rename, add and remove members (group admins), or leave (anyone). */
export function GroupSettings(props: { live: LiveSession; info: ConversationInfo; onClose(): void }) {
  const app = useApp();
  const me = props.live.user.id;
  const [title, setTitle] = createSignal(props.info.title);
  const [newMember, setNewMember] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);
  const isAdmin = () => props.info.members.find((m) => m.userId === me)?.role === "admin";

  const run = async (f: () => Promise<unknown>) => {
    setError(null);
    try {
      await f();
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    }
  };

  const leave = async () => {
    if (!(await app.confirm({ title: `Leave “${props.info.title}”?`, body: "You will no longer get its messages. A group admin can add you again.", action: "Leave", danger: true }))) return;
    if (await run(() => app.api.removeMember(props.info.id, me))) {
      props.onClose();
      props.live.inbox.patch((l) => l.filter((c) => c.id !== props.info.id));
      app.navigate({ name: "home" });
    }
  };

  const removeMember = async (userId: string, username: string) => {
    if (!(await app.confirm({ title: `Remove ${username}?`, body: `${username} will no longer see “${props.info.title}” or get its messages.`, action: "Remove", danger: true }))) return;
    await run(() => app.api.removeMember(props.info.id, userId));
  };

  return (
    <Modal title="Group settings" onClose={props.onClose} testid="group-settings-dialog">
      <div class="stack">
        <Show when={isAdmin()}>
          <form class="row" onSubmit={(e) => (e.preventDefault(), void run(() => app.api.rename(props.info.id, title().trim())))}>
            <input aria-label="Group title" data-testid="rename-input" value={title()} maxLength={100} onInput={(e) => setTitle(e.currentTarget.value)} />
            <button class="primary" type="submit" data-testid="rename-save" disabled={!title().trim()}>
              Rename
            </button>
          </form>
        </Show>
        <h3>Members</h3>
        <ul class="members" role="list" data-testid="member-list">
          <For each={props.info.members}>
            {(m) => (
              <li data-testid="member" data-username={m.username}>
                <span>
                  {m.username} <span class="muted small">{m.role === "admin" ? "admin" : ""}</span>
                </span>
                <Show when={isAdmin() && m.userId !== me}>
                  <button class="ghost small" data-testid="member-remove" onClick={() => void removeMember(m.userId, m.username)}>
                    Remove
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
        <Show when={isAdmin()}>
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              void run(() => app.api.addMember(props.info.id, newMember().trim().toLowerCase())).then((ok) => ok && setNewMember(""));
            }}
          >
            <input aria-label="Username to add" placeholder="username" data-testid="add-member-input" value={newMember()} onInput={(e) => setNewMember(e.currentTarget.value)} />
            <button class="primary" type="submit" data-testid="add-member" disabled={!newMember().trim()}>
              Add
            </button>
          </form>
        </Show>
        <FormError message={error()} />
        <button class="danger" data-testid="leave-group" onClick={() => void leave()}>
          Leave group
        </button>
      </div>
    </Modal>
  );
}
