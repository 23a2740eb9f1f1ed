import { createResource, createSignal, Show } from "solid-js";
import type { Presence } from "../../../protocol/index.ts";
import { errorMessage } from "../api/http.ts";
import { lastSeenLabel } from "../state/inbox.ts";
import { useApp } from "../stores/app.tsx";
import { relativeNow } from "../stores/clock.ts";
import type { LiveSession } from "../stores/live.ts";
import { Avatar } from "./Avatar.tsx";
import { FormError } from "./FormError.tsx";
import { Modal } from "./Modal.tsx";

/**
 * Someone's card, opened by clicking their name or avatar: picture, display name, @username,
 * status, and last seen when the presence rules let me see it (the server answers only for people
 * who share a conversation with me: edge/routes/presence.ts); "Message" opens our direct chat.
 */
export function ProfileCard(props: { live: LiveSession; userId: string; onClose(): void; onEdit(): void }) {
  const app = useApp();
  const people = props.live.people;
  const mine = () => props.userId === props.live.user.id;
  const [error, setError] = createSignal<string | null>(null);
  const [user] = createResource(() => props.userId, (id) => people.refresh(id).catch(() => people.get(id)));
  const [presence] = createResource(
    () => props.userId,
    async (id): Promise<Presence | undefined> => props.live.inbox.knownPresence[id] ?? (await app.api.presence([id]).catch(() => []))[0],
  );
  const name = () => people.displayName(props.userId, user()?.username || props.live.usernameOf(props.userId));
  const username = () => user()?.username || props.live.usernameOf(props.userId);
  /** A deleted account: no handle, presence or Message (it cannot be reached), just that it is gone. */
  const deleted = () => people.get(props.userId)?.deleted === true;

  const message = async () => {
    setError(null);
    try {
      const info = await app.api.createDirect(username());
      props.onClose();
      app.navigate({ name: "conversation", id: info.id });
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <Modal title="Profile" onClose={props.onClose} testid="profile-card">
      <div class="profile-card" data-user-id={props.userId}>
        <Avatar name={name()} userId={props.userId} size="large" />
        <strong data-testid="profile-name">{name()}</strong>
        <Show when={!deleted()} fallback={<span class="muted" data-testid="profile-deleted">This account was deleted</span>}>
          <span class="muted" data-testid="profile-username">
            @{username()}
          </span>
        </Show>
        <Show when={people.get(props.userId)?.status}>
          <p class="status" data-testid="profile-status">
            {people.get(props.userId)?.status}
          </p>
        </Show>
        <Show when={!mine() && !deleted() && presence()}>
          <span class="muted small" data-testid="profile-last-seen">
            {lastSeenLabel(presence(), relativeNow())}
          </span>
        </Show>
        <FormError message={error()} />
        <div class="actions">
          <Show
            when={mine()}
            fallback={
              <Show when={!deleted()}>
                <button class="primary" data-testid="profile-message" onClick={() => void message()}>
                  Message
                </button>
              </Show>
            }
          >
            <button class="primary" data-testid="profile-edit" onClick={props.onEdit}>
              Edit profile
            </button>
          </Show>
        </div>
      </div>
    </Modal>
  );
}
