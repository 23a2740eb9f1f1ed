import { createSignal, For, Show } from "solid-js";
import { errorMessage } from "../api/http.ts";
import { useApp } from "../stores/app.tsx";
import { Modal } from "./Modal.tsx";
import { FormError } from "./FormError.tsx";
import { PersonRow } from "./PersonRow.tsx";
import { useDirectory } from "./useDirectory.ts";

/** Start (or reopen) a 1:1 chat: search the directory by any part of a name, or type a username. */
export function NewDirectDialog(props: { onClose(): void }) {
  const app = useApp();
  const [name, setName] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);
  const dir = useDirectory(() => new Set([app.user()?.id ?? ""]));

  const start = async (username: string) => {
    setError(null);
    try {
      const info = await app.api.createDirect(username.trim().toLowerCase().replace(/^@/, ""));
      props.onClose();
      app.navigate({ name: "conversation", id: info.id });
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <Modal title="New chat" onClose={props.onClose} testid="new-direct-dialog">
      <form class="stack" onSubmit={(e) => (e.preventDefault(), void start(name()))}>
        <label>
          Name or username
          <input
            data-testid="direct-username"
            value={name()}
            autocomplete="off"
            placeholder="Search people"
            onInput={(e) => {
              setName(e.currentTarget.value);
              void dir.lookup(e.currentTarget.value);
            }}
          />
        </label>
        <Show when={dir.results().length > 0}>
          <ul class="people-list" role="list" data-testid="direct-suggestions">
            <For each={dir.results()}>
              {(u) => (
                <li>
                  <button type="button" class="ghost" data-testid="direct-suggestion" data-username={u.username} onClick={() => void start(u.username)}>
                    <PersonRow user={u} />
                  </button>
                </li>
              )}
            </For>
          </ul>
        </Show>
        <Show when={dir.searched() && dir.results().length === 0 && name().trim()}>
          <p class="muted small" data-testid="direct-no-match">
            No one matches “{name().trim()}”.
          </p>
        </Show>
        <FormError message={error()} />
        <button class="primary" type="submit" data-testid="direct-start" disabled={!name().trim()}>
          Start chat
        </button>
      </form>
    </Modal>
  );
}
