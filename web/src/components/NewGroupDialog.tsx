import { createSignal } from "solid-js";
import type { PublicUser } from "../../../protocol/index.ts";
import { errorMessage } from "../api/http.ts";
import { useApp } from "../stores/app.tsx";
import { Modal } from "./Modal.tsx";
import { FormError } from "./FormError.tsx";
import { MemberPicker, typedNames } from "./MemberPicker.tsx";

/** Create a group: a title and its members, picked from suggestions (MemberPicker). I become its admin. */
export function NewGroupDialog(props: { onClose(): void }) {
  const app = useApp();
  const [title, setTitle] = createSignal("");
  const [picked, setPicked] = createSignal<PublicUser[]>([]);
  const [typed, setTyped] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);
  const me = () => new Set([app.user()?.id ?? ""]);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    // Chips, plus exact usernames still typed in the box ("bob, carol").
    const names = [...new Set([...picked().map((u) => u.username), ...typedNames(typed())])];
    try {
      const info = await app.api.createGroup(title().trim(), names);
      props.onClose();
      app.navigate({ name: "conversation", id: info.id });
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <Modal title="New group" onClose={props.onClose} testid="new-group-dialog">
      <form class="stack" onSubmit={create}>
        <label>
          Title
          <input data-testid="group-title" required maxLength={100} value={title()} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <div class="field">
          <span>Members</span>
          <MemberPicker picked={picked()} onChange={setPicked} exclude={me()} label="Add people" testid="group-members" onText={setTyped} />
        </div>
        <FormError message={error()} />
        <button class="primary" type="submit" data-testid="group-create" disabled={!title().trim()}>
          Create group
        </button>
      </form>
    </Modal>
  );
}
