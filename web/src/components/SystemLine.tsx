import type { SystemRow } from "../state/timeline.ts";

/** Membership, renames, creation and call summaries, as one quiet centered line. */
export function SystemLine(props: { row: SystemRow; nameOf(u: string): string }) {
  const text = () => {
    const e = props.row.event;
    const who = props.nameOf(e.author);
    switch (e.kind) {
      case "created":
        return e.type === "group" ? `${who} created the group “${e.title}”` : "Conversation started";
      case "rename":
        return `${who} renamed the group to “${e.title}”`;
      case "member":
        if (e.action === "add") return `${who} added ${e.username}`;
        if (e.action === "leave" || (e.action === "remove" && e.userId === e.author)) return `${e.username} left`;
        if (e.action === "remove") return `${who} removed ${e.username}`;
        return `${e.username} is now ${e.role}`;
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
