import { createSignal, For, Show } from "solid-js";
import type { SearchHit } from "../api/client.ts";
import { errorMessage } from "../api/http.ts";
import { displayTitle } from "../state/inbox.ts";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { setThreadTarget } from "../stores/threadTarget.ts";
import { shortTime } from "./format.ts";
import { Highlighted } from "./Highlighted.tsx";
import { Modal } from "./Modal.tsx";
import { FormError } from "./FormError.tsx";

/**
 * Search over my conversations (the language is protocol/searchQuery.ts: words and from:, in:,
 * before:, after:, has:attachment), 30 hits a page with "Load more", matches marked. Picking a hit
 * opens its conversation at the message (a thread reply: at its root, with the thread open).
 */
export function SearchPanel(props: { live: LiveSession; onClose(): void }) {
  const app = useApp();
  const [q, setQ] = createSignal("");
  const [hits, setHits] = createSignal<SearchHit[] | null>(null);
  const [terms, setTerms] = createSignal<string[]>([]);
  const [next, setNext] = createSignal<string | undefined>(undefined);
  const [asked, setAsked] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);

  const load = async (query: string, cursor?: string) => {
    setError(null);
    setBusy(true);
    try {
      const page = await app.api.search(query, cursor);
      setHits([...(cursor ? (hits() ?? []) : []), ...page.hits]);
      setTerms(page.terms);
      setNext(page.next);
      setAsked(query);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const search = (e: Event) => {
    e.preventDefault();
    if (q().trim()) void load(q().trim());
  };

  const open = (h: SearchHit) => {
    props.onClose();
    const root = h.event.threadRoot;
    if (root !== undefined) setThreadTarget({ conversationId: h.conversationId, root });
    app.setJump({ conversationId: h.conversationId, seq: root ?? h.event.seq });
    app.navigate({ name: "conversation", id: h.conversationId });
  };
  const title = (id: string) => {
    const c = props.live.summary(id);
    return c ? displayTitle(c, props.live.user.id) : id;
  };

  return (
    <Modal title="Search messages" onClose={props.onClose} testid="search-dialog" wide>
      <form class="row" onSubmit={search}>
        <input type="search" aria-label="Search words" placeholder="Words, from:name, in:chat, after:2026-01-31, has:attachment" data-testid="search-input" value={q()} onInput={(e) => setQ(e.currentTarget.value)} />
        <button class="primary" type="submit" data-testid="search-submit" disabled={busy()}>
          Search
        </button>
      </form>
      <p class="muted small search-help">
        Filters: <code>from:name</code> <code>in:title</code> <code>before:YYYY-MM-DD</code> <code>after:YYYY-MM-DD</code> <code>has:attachment</code>
      </p>
      <FormError message={error()} />
      <Show when={hits()}>
        <Show when={hits()!.length > 0} fallback={<p class="muted">No messages found.</p>}>
          <ul class="hits" role="list" data-testid="search-hits">
            <For each={hits()!}>
              {(h) => (
                <li>
                  <button class="hit" data-testid="search-hit" data-seq={h.event.seq} onClick={() => open(h)}>
                    <span class="hit-top">
                      <strong>
                        {title(h.conversationId)}
                        <Show when={h.event.threadRoot !== undefined}>
                          <span class="muted small"> · in a thread</span>
                        </Show>
                      </strong>
                      <span class="muted small">
                        {props.live.nameOf(h.event.author)} · {shortTime(h.event.ts)}
                      </span>
                    </span>
                    <span class="hit-text" data-testid="hit-text">
                      <Highlighted text={h.event.text || (h.event.attachments?.length ? h.event.attachments.map((a) => a.name).join(", ") : "")} terms={terms()} />
                    </span>
                  </button>
                </li>
              )}
            </For>
          </ul>
          <Show when={next()}>
            <button class="ghost load-more" data-testid="search-more" disabled={busy()} onClick={() => void load(asked(), next())}>
              {busy() ? "Loading…" : "Load more"}
            </button>
          </Show>
        </Show>
      </Show>
    </Modal>
  );
}
