import { createSignal, For, onMount, Show } from "solid-js";
import { dndActive } from "../../../protocol/index.ts";
import { errorMessage } from "../api/http.ts";
import { disablePush, enablePush, pushState, type PushState } from "../net/webPush.ts";
import type { LiveSession } from "../stores/live.ts";
import { track } from "../stores/reactive.ts";
import { FormError } from "./FormError.tsx";
import { Modal } from "./Modal.tsx";

const PAUSES = [
  { minutes: 60, label: "1 hour" },
  { minutes: 2 * 60, label: "2 hours" },
  { minutes: 8 * 60, label: "8 hours" },
  { minutes: 24 * 60, label: "1 day" },
];
const PUSH_TEXT: Record<PushState, string> = {
  unsupported: "This browser cannot receive push notifications.",
  unavailable: "This server has no Web Push configured.",
  denied: "Notifications are blocked for this site in the browser's settings.",
  off: "Off on this device.",
  on: "On: direct messages and mentions reach this device while Nexus is closed.",
};

/**
 * Do not disturb (the user's menu): pause notifications for a while, or every day between two
 * times in my time zone; and Web Push on this device. DND silences notifications and push; the
 * unread counts stay (protocol/notify.ts).
 */
export function DndDialog(props: { live: LiveSession; onClose(): void }) {
  const v = track(props.live.inbox);
  const dnd = () => (v(), props.live.inbox.notify.dnd);
  const zone = () => dnd().schedule?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const [from, setFrom] = createSignal(dnd().schedule?.from ?? "22:00");
  const [to, setTo] = createSignal(dnd().schedule?.to ?? "07:00");
  const [error, setError] = createSignal<string | null>(null);
  const [push, setPush] = createSignal<PushState | null>(null);
  onMount(() => void pushState().then(setPush, () => setPush("unsupported")));

  const save = async (body: Parameters<LiveSession["notify"]["setDnd"]>[0]) => {
    setError(null);
    try {
      props.live.inbox.setNotify(await props.live.notify.setDnd(body));
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const schedule = () => dnd().schedule;
  const pausedUntil = () => {
    const p = dnd().pausedUntil;
    return p !== null && p > Date.now() ? p : null;
  };
  const togglePush = async () => {
    setError(null);
    try {
      setPush(push() === "on" ? await disablePush(props.live.notify) : await enablePush(props.live.notify));
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <Modal title="Do not disturb" onClose={props.onClose} testid="dnd-settings">
      <p class="small" data-testid="dnd-state">
        {dndActive(dnd(), Date.now()) ? "Notifications are paused now." : "Notifications are on."}
      </p>
      <fieldset>
        <legend>Pause notifications</legend>
        <Show when={pausedUntil()}>
          <p class="muted small" data-testid="paused-until">
            Paused until {new Date(pausedUntil()!).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" })}
          </p>
        </Show>
        <div class="button-row">
          <For each={PAUSES}>
            {(p) => (
              <button class="ghost small" data-testid={`pause-${p.minutes}`} onClick={() => void save({ schedule: schedule(), pauseMinutes: p.minutes })}>
                {p.label}
              </button>
            )}
          </For>
          <Show when={pausedUntil()}>
            <button class="small" data-testid="resume" onClick={() => void save({ schedule: schedule(), pauseMinutes: 0 })}>
              Resume
            </button>
          </Show>
        </div>
      </fieldset>
      <fieldset>
        <legend>Every day</legend>
        <div class="dnd-schedule">
          <label>
            From <input type="time" value={from()} data-testid="dnd-from" onInput={(e) => setFrom(e.currentTarget.value)} />
          </label>
          <label>
            to <input type="time" value={to()} data-testid="dnd-to" onInput={(e) => setTo(e.currentTarget.value)} />
          </label>
          <span class="muted small" data-testid="dnd-zone">{zone()}</span>
        </div>
        <div class="button-row">
          <button class="small" data-testid="dnd-save" onClick={() => void save({ schedule: { from: from(), to: to(), timeZone: zone() } })}>
            {schedule() ? "Update schedule" : "Turn on schedule"}
          </button>
          <Show when={schedule()}>
            <button class="ghost small" data-testid="dnd-off" onClick={() => void save({ schedule: null })}>
              Turn off
            </button>
          </Show>
        </div>
        <Show when={schedule()}>
          <p class="muted small" data-testid="dnd-schedule">
            Quiet every day {schedule()!.from}–{schedule()!.to} ({schedule()!.timeZone})
          </p>
        </Show>
      </fieldset>
      <fieldset>
        <legend>Push on this device</legend>
        <p class="muted small" data-testid="push-state">{push() ? PUSH_TEXT[push()!] : "…"}</p>
        <Show when={push() === "on" || push() === "off"}>
          <button class="small" data-testid="push-toggle" onClick={() => void togglePush()}>
            {push() === "on" ? "Turn off" : "Turn on"}
          </button>
        </Show>
      </fieldset>
      <FormError message={error()} />
    </Modal>
  );
}
