import { Show, useContext } from "solid-js";
import type { PresenceStatus } from "../../../protocol/index.ts";
import { useApp } from "../stores/app.tsx";
import { ListRowGroup, type GroupPictureRef } from "./groupPicture.ts";

/**
 * A person's picture (their uploaded avatar when `userId` has one), a group's picture (`group`, from
 * `groupPicture` or the list row it is in), or initials on a colour derived from the name, with an
 * optional presence dot. `onOpen` makes it a button (the profile card).
 */
export function Avatar(props: {
  name: string;
  userId?: string;
  presence?: PresenceStatus;
  size?: "tiny" | "small" | "normal" | "large";
  group?: boolean;
  groupPicture?: GroupPictureRef;
  onOpen?: () => void;
}) {
  const app = useApp();
  const row = useContext(ListRowGroup);
  const hue = () => [...props.name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 360, 7);
  const px = () => (props.size === "large" ? 256 : 64);
  const group = () => (props.group ? (props.groupPicture ?? row?.()) : undefined);
  const photo = () => {
    const g = group();
    if (g) return app.live()?.groupPictureUrl(g.conversationId, g.version, px()) ?? null;
    return props.userId ? (app.live()?.people.avatarUrl(props.userId, px()) ?? null) : null;
  };
  const initials = () => [...props.name.trim()].slice(0, 2).join("").toUpperCase() || "?";
  const body = () => (
    <>
      <Show when={photo()} fallback={props.group ? "#" : initials()}>
        <img src={photo()!} alt="" data-testid="avatar-image" draggable={false} />
      </Show>
      <Show when={props.presence}>
        <span class="dot" classList={{ [props.presence!]: true }} data-testid="presence-dot" data-status={props.presence} />
      </Show>
    </>
  );
  return (
    <Show
      when={props.onOpen}
      fallback={
        <span class={`avatar ${props.size ?? "normal"}`} style={{ "--hue": String(hue()) }} aria-hidden="true" data-has-photo={photo() ? "" : undefined}
          data-group-picture={photo() ? group()?.version : undefined}>
          {body()}
        </span>
      }
    >
      <button
        type="button"
        class={`avatar as-button ${props.size ?? "normal"}`}
        style={{ "--hue": String(hue()) }}
        aria-label={`Profile of ${props.name}`}
        data-testid="avatar-button"
        data-has-photo={photo() ? "" : undefined}
        onClick={(e) => (e.stopPropagation(), props.onOpen!())}
      >
        {body()}
      </button>
    </Show>
  );
}
