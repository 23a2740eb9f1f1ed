import type { SystemRow } from "../state/timeline.ts";
import { UNKNOWN_PERSON } from "../state/names.ts";

/** Membership, renames, group picture and description changes, creation and call summaries, as one quiet centered line. */
export function SystemLine(props: { row: SystemRow; nameOf(u: string): string }) {
  /** Whom a membership event is about: their display name when known, else the name it carries. */
  const subject = () => {
    const e = props.row.event;
    if (e.kind !== "member") return "";
    const n = props.nameOf(e.userId);
    return n === UNKNOWN_PERSON ? e.username : n;
  };
  const text = () => {
    const e = props.row.event;
    const who = props.nameOf(e.author);
    switch (e.kind) {
      case "created":
        return e.type === "group" ? `${who} created the group “${e.title}”` : "Conversation started";
      case "rename":
        return `${who} renamed the group to “${e.title}”`;
      case "profile":
        if (e.changed === "picture") return e.picture ? `${who} changed the group picture` : `${who} removed the group picture`;
        return e.description ? `${who} changed the group description` : `${who} removed the group description`;
      case "member":
        if (e.action === "add") return `${who} added ${subject()}`;
        if (e.action === "leave" || (e.action === "remove" && e.userId === e.author)) return `${subject()} left`;
        if (e.action === "remove") return `${who} removed ${subject()}`;
        return `${subject()} is now ${e.role === "admin" ? "an admin" : "a member"}`;
      case "call": {
        const kind = e.media === "video" ? "Video call" : "Audio call";
        if (e.outcome === "completed") return `${kind} · ${Math.max(1, Math.round(e.durationMs / 1000))} s`;
        if (e.outcome === "missed") return `Missed ${kind.toLowerCase()}`;
        return `${kind} · declined`;
      }
    }
  };
  return (
    <div class="system" data-testid="system-line" data-seq={props.row.seq}>
      {text()}
    </div>
  );
}
