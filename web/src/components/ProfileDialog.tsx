import { createSignal, Show } from "solid-js";
import { errorMessage } from "../api/http.ts";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { Avatar } from "./Avatar.tsx";
import { FormError } from "./FormError.tsx";
import { Modal } from "./Modal.tsx";

/** My profile: display name (1-64), status (≤ 80), avatar (the server crops and resizes it). */
export function ProfileDialog(props: { live: LiveSession; onClose(): void }) {
  const app = useApp();
  const people = props.live.people;
  const me = props.live.user;
  const current = () => people.get(me.id);
  const [displayName, setDisplayName] = createSignal(current()?.displayName ?? "");
  const [status, setStatus] = createSignal(current()?.status ?? "");
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  const run = async (f: () => Promise<import("../../../protocol/index.ts").PublicUser>) => {
    setError(null);
    setBusy(true);
    try {
      const u = await f();
      people.put([u]);
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const save = async (e: Event) => {
    e.preventDefault();
    const ok = await run(() => app.api.updateProfile({ displayName: displayName().trim() || null, status: status().trim() || null }));
    if (ok) {
      app.toast("Profile saved");
      props.onClose();
    }
  };

  const upload = (file: File | undefined) => file && void run(() => app.api.uploadAvatar(file));

  return (
    <Modal title="Your profile" onClose={props.onClose} testid="profile-dialog">
      <form class="profile-edit" onSubmit={save}>
        <div class="avatar-row">
          <Avatar name={people.displayName(me.id, me.username)} userId={me.id} size="large" />
          <label class="file-button">
            Upload picture
            <input type="file" accept="image/png,image/jpeg,image/gif" hidden data-testid="profile-avatar-input" onChange={(e) => upload(e.currentTarget.files?.[0])} />
          </label>
          <Show when={current()?.avatar}>
            <button type="button" class="ghost small" data-testid="profile-avatar-remove" disabled={busy()} onClick={() => void run(() => app.api.removeAvatar())}>
              Remove picture
            </button>
          </Show>
        </div>
        <label>
          Display name
          <input data-testid="profile-display-name" maxLength={64} placeholder={me.username} value={displayName()} onInput={(e) => setDisplayName(e.currentTarget.value)} />
        </label>
        <label>
          Status
          <input data-testid="profile-status-input" maxLength={80} placeholder="What are you up to?" value={status()} onInput={(e) => setStatus(e.currentTarget.value)} />
        </label>
        <p class="hint">Your username stays @{me.username}: people mention and find you by it.</p>
        <FormError message={error()} />
        <button class="primary" type="submit" data-testid="profile-save" disabled={busy()}>
          Save
        </button>
      </form>
    </Modal>
  );
}
