import { createSignal, For, Show } from "solid-js";
import type { ConversationInfo, PublicUser } from "../../../protocol/index.ts";
import { errorMessage } from "../api/http.ts";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { Modal } from "./Modal.tsx";
import { FormError } from "./FormError.tsx";
import { Avatar } from "./Avatar.tsx";
import { MemberPicker, typedNames } from "./MemberPicker.tsx";
import { GroupProfileSection } from "./GroupProfileSection.tsx";

/** The group's picture and description; rename, add members (picked from suggestions), promote,
 *  demote and remove (group admins), or leave (anyone). */
export function GroupSettings(props: { live: LiveSession; info: ConversationInfo; onClose(): void }) {
  const app = useApp();
  const me = props.live.user.id;
  const [title, setTitle] = createSignal(props.info.title);
  const [picked, setPicked] = createSignal<PublicUser[]>([]);
  const [typed, setTyped] = createSignal("");
  const [added, setAdded] = createSignal(0);
  const members = () => new Set(props.info.members.map((m) => m.userId));
  const nameOf = (m: { userId: string; username: string }) => props.live.people.displayName(m.userId, m.username);
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

  /** Group admins rename, add, remove, pin and moderate; the last admin cannot step down. */
  const setRole = (userId: string, role: "admin" | "member") => void run(() => app.api.setRole(props.info.id, userId, role));

  const addPicked = async () => {
    const names = [...new Set([...picked().map((u) => u.username), ...typedNames(typed())])];
    // One at a time: each add is its own event; stop at the first refusal and keep the rest picked.
    for (const name of names) {
      if (!(await run(() => app.api.addMember(props.info.id, name)))) return;
      setPicked((l) => l.filter((u) => u.username !== name));
    }
    setTyped("");
    setAdded((n) => n + 1);
  };

  return (
    <Modal title="Group settings" onClose={props.onClose} testid="group-settings-dialog">
      <div class="stack">
        <GroupProfileSection info={props.info} isAdmin={isAdmin()} />
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
              <li data-testid="member" data-username={m.username} data-role={m.role}>
                <span class="person-row">
                  <Avatar name={nameOf(m)} userId={m.userId} size="small" onOpen={() => props.live.people.openCard(m.userId)} />
                  <span class="person-names">
                    <strong>{nameOf(m)}</strong>
                    <span class="muted small">
                      @{m.username}
                      {m.role === "admin" ? " · admin" : ""}
                    </span>
                  </span>
                </span>
                <Show when={isAdmin() && m.userId !== me}>
                  <span class="row">
                    <button class="ghost small" data-testid={m.role === "admin" ? "member-demote" : "member-promote"} onClick={() => setRole(m.userId, m.role === "admin" ? "member" : "admin")}>
                      {m.role === "admin" ? "Remove admin" : "Make admin"}
                    </button>
                    <button class="ghost small" data-testid="member-remove" onClick={() => void removeMember(m.userId, nameOf(m))}>
                      Remove
                    </button>
                  </span>
                </Show>
              </li>
            )}
          </For>
        </ul>
        <Show when={isAdmin()}>
          <form class="stack" onSubmit={(e) => (e.preventDefault(), void addPicked())}>
            <MemberPicker picked={picked()} onChange={setPicked} exclude={members()} label="People to add" testid="add-member-input" onText={setTyped} resetKey={added()} />
            <button class="primary" type="submit" data-testid="add-member" disabled={picked().length === 0 && !typed().trim()}>
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
