import { createSignal } from "solid-js";
import { errorMessage } from "../api/http.ts";
import { useApp } from "../stores/app.tsx";
import { Modal } from "./Modal.tsx";
import { FormError } from "./FormError.tsx";

/** Create a group: a title and a comma-separated list of usernames. I become its admin. */
export function NewGroupDialog(props: { onClose(): void }) {
  const app = useApp();
  const [title, setTitle] = createSignal("");
  const [members, setMembers] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const names = members()
      .split(/[\s,]+/)
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
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
        <label>
          Members (usernames, comma separated)
          <input data-testid="group-members" value={members()} onInput={(e) => setMembers(e.currentTarget.value)} />
        </label>
        <FormError message={error()} />
        <button class="primary" type="submit" data-testid="group-create" disabled={!title().trim()}>
          Create group
        </button>
      </form>
    </Modal>
  );
}
