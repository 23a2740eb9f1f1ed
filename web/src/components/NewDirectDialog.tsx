import { createSignal, For, Show } from "solid-js";
import type { PublicUser } from "../../../protocol/index.ts";
import { errorMessage } from "../api/http.ts";
import { useApp } from "../stores/app.tsx";
import { Modal } from "./Modal.tsx";
import { FormError } from "./FormError.tsx";

/** Start (or reopen) a 1:1 chat by username, with prefix suggestions. */
export function NewDirectDialog(props: { onClose(): void }) {
  const app = useApp();
  const [name, setName] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);
  const [suggestions, setSuggestions] = createSignal<PublicUser[]>([]);
  let seq = 0;

  const lookup = async (q: string) => {
    const mine = ++seq;
    if (q.length < 1) return setSuggestions([]);
    try {
      const users = await app.api.searchUsers(q);
      if (mine === seq) setSuggestions(users.filter((u) => u.id !== app.user()?.id));
    } catch {
      setSuggestions([]);
    }
  };

  const start = async (username: string) => {
    setError(null);
    try {
      const info = await app.api.createDirect(username.trim().toLowerCase());
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
          Username
          <input
            data-testid="direct-username"
            value={name()}
            autocomplete="off"
            onInput={(e) => {
              setName(e.currentTarget.value);
              void lookup(e.currentTarget.value.trim().toLowerCase());
            }}
          />
        </label>
        <Show when={suggestions().length > 0}>
          <ul class="suggestions" role="list">
            <For each={suggestions()}>
              {(u) => (
                <li>
                  <button type="button" class="ghost" onClick={() => void start(u.username)}>
                    {u.username}
                  </button>
                </li>
              )}
            </For>
          </ul>
        </Show>
        <FormError message={error()} />
        <button class="primary" type="submit" data-testid="direct-start" disabled={!name().trim()}>
          Start chat
        </button>
      </form>
    </Modal>
  );
}
