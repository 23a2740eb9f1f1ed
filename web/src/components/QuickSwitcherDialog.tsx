import fuzzysort from "fuzzysort";
import { createSignal, For, Show } from "solid-js";
import type { ConversationSummary } from "../../../protocol/index.ts";
import { otherMember } from "../state/inbox.ts";
import { useApp } from "../stores/app.tsx";
import type { LiveSession } from "../stores/live.ts";
import { Modal } from "./Modal.tsx";

/** The Ctrl+K dialog (QuickSwitcher.tsx opens it): fuzzy over titles and members' names. */
interface Candidate {
  c: ConversationSummary;
  title: string;
  /** The title and every member's name and handle, for matching. */
  names: string;
}

export function SwitcherDialog(props: { live: LiveSession; onClose(): void }) {
  const app = useApp();
  const live = props.live;
  const [query, setQuery] = createSignal("");
  const [active, setActive] = createSignal(0);
  const candidates: Candidate[] = live.inbox.list.map((c) => {
    const other = otherMember(c, live.user.id);
    const title = other ? live.nameOf(other.userId) : c.title;
    const others = c.members.filter((m) => m.userId !== live.user.id).flatMap((m) => [live.nameOf(m.userId), m.username]);
    return { c, title, names: [title, ...new Set(others)].join(" ") };
  });
  const results = () => {
    const q = query().trim();
    if (!q) return candidates.slice(0, 20);
    // The title first: a hit there ranks above one only in a member's name.
    return fuzzysort.go(q, candidates, { keys: ["title", "names"], limit: 20, threshold: 0.2 }).map((r) => r.obj);
  };
  const openOne = (c: ConversationSummary | undefined) => {
    if (!c) return;
    props.onClose();
    app.navigate({ name: "conversation", id: c.id });
  };
  const onKey = (e: KeyboardEvent) => {
    const n = results().length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (n) setActive((active() + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
    } else if (e.key === "Enter") {
      e.preventDefault();
      openOne(results()[Math.min(active(), n - 1)]?.c);
    }
  };
  return (
    <Modal title="Jump to a conversation" onClose={props.onClose} testid="quick-switcher">
      <input
        type="search"
        placeholder="Conversation or person"
        aria-label="Conversation or person"
        data-testid="switcher-input"
        value={query()}
        onInput={(e) => (setQuery(e.currentTarget.value), setActive(0))}
        onKeyDown={onKey}
      />
      <ul class="switcher-list" role="listbox" aria-label="Conversations">
        <For each={results()} fallback={<li class="muted pad">No conversation matches</li>}>
          {(r, i) => (
            <li
              role="option"
              aria-selected={i() === active()}
              classList={{ active: i() === active() }}
              data-testid="switcher-item"
              data-conversation-id={r.c.id}
              onMouseEnter={() => setActive(i())}
              onClick={() => openOne(r.c)}
            >
              <span>{r.title}</span>
              <Show when={r.c.unread > 0}>
                <span class="badge">{r.c.unread}</span>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </Modal>
  );
}
