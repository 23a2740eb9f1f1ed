import { Show } from "solid-js";
import type { PresenceStatus } from "../../../protocol/index.ts";

/** Initials on a color derived from the name, with an optional presence dot. */
export function Avatar(props: { name: string; presence?: PresenceStatus; size?: "small" | "normal"; group?: boolean }) {
  const hue = () => [...props.name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 360, 7);
  return (
    <span class={`avatar ${props.size ?? "normal"}`} style={{ "--hue": String(hue()) }} aria-hidden="true">
      {props.group ? "#" : props.name.slice(0, 2).toUpperCase()}
      <Show when={props.presence}>
        <span class={`dot ${props.presence}`} data-testid="presence-dot" data-status={props.presence} />
      </Show>
    </span>
  );
}
