import { createSignal, Show } from "solid-js";
import { MAX_GROUP_DESCRIPTION, type ConversationInfo } from "../../../protocol/index.ts";
import { errorMessage } from "../api/http.ts";
import { useApp } from "../stores/app.tsx";
import { Avatar } from "./Avatar.tsx";
import { FormError } from "./FormError.tsx";

/**
 * The top of group settings: the group's picture and description for every member; group admins
 * also upload or remove the picture (the server crops and resizes it) and edit the description.
 * Each change is an event in the group's log, so every member's screen follows it live.
 */
export function GroupProfileSection(props: { info: ConversationInfo; isAdmin: boolean }) {
  const app = useApp();
  const [description, setDescription] = createSignal(props.info.description ?? "");
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const dirty = () => description().trim() !== (props.info.description ?? "");

  // No toast on success: the picture, the saved text and a system line in the log show it.
  const run = async (f: () => Promise<unknown>) => {
    setError(null);
    setBusy(true);
    try {
      await f();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const upload = (file: File | undefined) => file && void run(() => app.api.uploadGroupPicture(props.info.id, file));

  return (
    <section class="group-profile" data-testid="group-profile">
      <div class="avatar-row">
        <Avatar name={props.info.title} group groupPicture={{ conversationId: props.info.id, version: props.info.picture }} size="large" />
        <Show when={props.isAdmin}>
          <div class="row wrap">
            <label class="file-button">
              {props.info.picture ? "Change picture" : "Upload picture"}
              <input type="file" accept="image/png,image/jpeg,image/gif" hidden data-testid="group-picture-input" disabled={busy()}
                onChange={(e) => (upload(e.currentTarget.files?.[0]), (e.currentTarget.value = ""))} />
            </label>
            <Show when={props.info.picture}>
              <button type="button" class="ghost small" data-testid="group-picture-remove" disabled={busy()}
                onClick={() => void run(() => app.api.removeGroupPicture(props.info.id))}>
                Remove picture
              </button>
            </Show>
          </div>
        </Show>
      </div>
      <Show
        when={props.isAdmin}
        fallback={
          <p class="group-description" classList={{ muted: !props.info.description }} data-testid="group-description">
            {props.info.description ?? "No description"}
          </p>
        }
      >
        <form class="stack" onSubmit={(e) => (e.preventDefault(), void run(() => app.api.setGroupDescription(props.info.id, description().trim())))}>
          <label class="field">
            Description
            <textarea data-testid="group-description-input" rows={3} maxLength={MAX_GROUP_DESCRIPTION} placeholder="What is this group about?"
              value={description()} onInput={(e) => setDescription(e.currentTarget.value)} />
          </label>
          <button class="primary" type="submit" data-testid="group-description-save" disabled={busy() || !dirty()}>
            Save description
          </button>
        </form>
      </Show>
      <FormError message={error()} />
    </section>
  );
}
