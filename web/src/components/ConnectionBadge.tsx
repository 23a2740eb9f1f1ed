import { createMemo, createSignal, onCleanup, Show } from "solid-js";
import type { LiveSession } from "../stores/live.ts";
import { track } from "../stores/reactive.ts";

/** connected / reconnecting / offline, and how many sends are waiting. Always visible. */
export function ConnectionBadge(props: { live: LiveSession }) {
  const inboxV = track(props.live.inbox);
  const outboxV = track(props.live.outbox);
  const [online, setOnline] = createSignal(navigator.onLine);
  const up = () => setOnline(true);
  const down = () => setOnline(false);
  addEventListener("online", up);
  addEventListener("offline", down);
  onCleanup(() => (removeEventListener("online", up), removeEventListener("offline", down)));

  // Before the first connection it is "Connecting…": nothing was lost yet to re-connect.
  let everOpen = false;
  const state = createMemo(() => {
    inboxV();
    if (props.live.inbox.state === "open") everOpen = true;
    if (!online() || props.live.inbox.state === "offline") return "offline";
    return props.live.inbox.state === "open" ? "connected" : everOpen ? "reconnecting" : "connecting";
  });
  const label = { connected: "Connected", offline: "Offline", reconnecting: "Reconnecting…", connecting: "Connecting…" } as const;
  const queued = createMemo(() => (outboxV(), props.live.outbox.items().filter((i) => !i.error).length));

  return (
    <div class={`conn ${state()}`} data-testid="conn-state" data-state={state()} role="status" aria-live="polite">
      <span class="conn-dot" aria-hidden="true" />
      <span>{label[state()]}</span>
      <Show when={queued() > 0}>
        <span class="queued" data-testid="queued-count">
          {queued()} queued
        </span>
      </Show>
    </div>
  );
}
