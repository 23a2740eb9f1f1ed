import { createSignal, For, Show } from "solid-js";
import type { SearchHit } from "../api/client.ts";
import { errorMessage } from "../api/http.ts";
import { displayTitle } from "../state/inbox.ts";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { shortTime } from "./format.ts";
import { Modal } from "./Modal.tsx";
import { FormError } from "./FormError.tsx";

/** Full-text search over my conversations; picking a hit opens it and jumps to the message. */
export function SearchPanel(props: { live: LiveSession; onClose(): void }) {
  const app = useApp();
  const [q, setQ] = createSignal("");
  const [hits, setHits] = createSignal<SearchHit[] | null>(null);
  const [error, setError] = createSignal<string | null>(null);

  const search = async (e: Event) => {
    e.preventDefault();
    if (!q().trim()) return;
    setError(null);
    try {
      setHits(await app.api.search(q().trim()));
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const open = (h: SearchHit) => {
    props.onClose();
    app.setJump({ conversationId: h.conversationId, seq: h.event.seq });
    app.navigate({ name: "conversation", id: h.conversationId });
  };
  const title = (id: string) => {
    const c = props.live.summary(id);
    return c ? displayTitle(c, props.live.user.id) : id;
  };

  return (
    <Modal title="Search messages" onClose={props.onClose} testid="search-dialog" wide>
      <form class="row" onSubmit={search}>
        <input type="search" aria-label="Search words" placeholder="Words to find" data-testid="search-input" value={q()} onInput={(e) => setQ(e.currentTarget.value)} />
        <button class="primary" type="submit" data-testid="search-submit">
          Search
        </button>
      </form>
      <FormError message={error()} />
      <Show when={hits()}>
        <Show when={hits()!.length > 0} fallback={<p class="muted">No messages found.</p>}>
          <ul class="hits" role="list">
            <For each={hits()!}>
              {(h) => (
                <li>
                  <button class="hit" data-testid="search-hit" data-seq={h.event.seq} onClick={() => open(h)}>
                    <span class="hit-top">
                      <strong>{title(h.conversationId)}</strong>
                      <span class="muted small">
                        {props.live.nameOf(h.event.author)} · {shortTime(h.event.ts)}
                      </span>
                    </span>
                    <span class="hit-text">{h.event.kind === "message" ? h.event.text : h.event.kind}</span>
                  </button>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </Show>
    </Modal>
  );
}
