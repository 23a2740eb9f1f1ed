import { Show } from "solid-js";
import type { PublicUser } from "../../../protocol/index.ts";
import { Avatar } from "./Avatar.tsx";

/** Avatar, display name and @username of one person (directory results, the member picker). */
export function PersonRow(props: { user: PublicUser }) {
  const name = () => props.user.displayName ?? props.user.username;
  return (
    <span class="person-row">
      <Avatar name={name()} userId={props.user.id} size="small" />
      <span class="person-names">
        <strong>{name()}</strong>
        <Show when={props.user.displayName}>
          <span class="muted small">@{props.user.username}</span>
        </Show>
      </span>
    </span>
  );
}
