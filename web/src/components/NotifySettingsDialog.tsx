import { createSignal, For, Show } from "solid-js";
import { conversationNotify, isMuted, type NotifyLevel } from "../../../protocol/index.ts";
import { errorMessage } from "../api/http.ts";
import type { LiveSession } from "../stores/live.ts";
import { track } from "../stores/reactive.ts";
import { FormError } from "./FormError.tsx";
import { Modal } from "./Modal.tsx";

const LEVELS: { level: NotifyLevel; label: string; hint: string }[] = [
  { level: "all", label: "All messages", hint: "Every new message notifies you" },
  { level: "mentions", label: "Mentions and direct messages", hint: "Only when someone @mentions you (a direct chat always counts)" },
  { level: "nothing", label: "Nothing", hint: "Never notify; the conversation does not count in the tab title" },
];
const MUTES: { minutes: number | "forever"; label: string }[] = [
  { minutes: 60, label: "1 hour" },
  { minutes: 8 * 60, label: "8 hours" },
  { minutes: 24 * 60, label: "1 day" },
  { minutes: "forever", label: "Until I unmute" },
];

/**
 * The bell menu of a conversation: its notification level and mute (protocol/notify.ts). Stored by
 * the server, so every device of mine follows it (the change comes back as a `notify` frame).
 */
export function NotifySettingsDialog(props: { live: LiveSession; conversationId: string; onClose(): void }) {
  const v = track(props.live.inbox);
  const current = () => (v(), conversationNotify(props.live.inbox.notify, props.conversationId));
  const [error, setError] = createSignal<string | null>(null);
  const save = async (level: NotifyLevel, mute: number | "forever" | null) => {
    setError(null);
    try {
      props.live.inbox.setNotify(await props.live.notify.setConversation(props.conversationId, { level, mute }));
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  /** Keeps a running mute when only the level changes: the minutes left, or forever. */
  const keptMute = (): number | "forever" | null => {
    const c = current();
    if (!isMuted(c, Date.now())) return null;
    return c.muted!.until === null ? "forever" : Math.max(1, Math.ceil((c.muted!.until - Date.now()) / 60_000));
  };
  const mutedLabel = () => {
    const c = current();
    if (!isMuted(c, Date.now())) return null;
    return c.muted!.until === null ? "Muted until you unmute" : `Muted until ${new Date(c.muted!.until).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" })}`;
  };

  return (
    <Modal title="Notifications" onClose={props.onClose} testid="notify-settings">
      <fieldset class="notify-levels">
        <legend>Notify me about</legend>
        <For each={LEVELS}>
          {(l) => (
            <label class="radio-row">
              <input type="radio" name="notify-level" value={l.level} data-testid={`notify-level-${l.level}`}
                checked={current().level === l.level} onChange={() => void save(l.level, keptMute())} />
              <span>
                <strong>{l.label}</strong>
                <span class="muted small">{l.hint}</span>
              </span>
            </label>
          )}
        </For>
      </fieldset>
      <fieldset class="notify-mute">
        <legend>Mute</legend>
        <Show when={mutedLabel()}>
          <p class="muted small" data-testid="muted-until">{mutedLabel()}</p>
        </Show>
        <div class="button-row">
          <For each={MUTES}>
            {(m) => (
              <button class="ghost small" data-testid={`mute-${m.minutes}`} onClick={() => void save(current().level, m.minutes)}>
                {m.label}
              </button>
            )}
          </For>
          <Show when={mutedLabel()}>
            <button class="small" data-testid="unmute" onClick={() => void save(current().level, null)}>
              Unmute
            </button>
          </Show>
        </div>
      </fieldset>
      <FormError message={error()} />
    </Modal>
  );
}
