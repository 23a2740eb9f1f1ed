import type { Row } from "./timeline.ts";

/**
 * Display hints for the message list: a day separator when the calendar day changes, and sender
 * groups (one name/avatar per run of messages by the same person within a few minutes).
 */
export interface DisplayRow {
  row: Row;
  /** Set on the first row of a new local day: the label to show above it. */
  day?: string;
  /** First row of a sender run: show the name. */
  groupStart: boolean;
  /** Last row of a sender run: show the time. */
  groupEnd: boolean;
}

const GROUP_GAP_MS = 5 * 60_000;

export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export function dayLabel(ts: number, now = Date.now()): string {
  const key = dayKey(ts);
  if (key === dayKey(now)) return "Today";
  if (key === dayKey(now - 86_400_000)) return "Yesterday";
  return new Date(ts).toLocaleDateString(undefined, { weekday: "short", year: "numeric", month: "short", day: "numeric" });
}

const authorOf = (r: Row) => (r.kind === "system" ? null : r.author);

export function groupRows(rows: Row[], now = Date.now()): DisplayRow[] {
  const out: DisplayRow[] = [];
  let prevDay: string | null = null;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const prev = rows[i - 1];
    const next = rows[i + 1];
    const day = dayKey(row.ts);
    const newDay = day !== prevDay;
    prevDay = day;
    const joinsPrev = !newDay && prev !== undefined && sameRun(prev, row);
    const joinsNext = next !== undefined && dayKey(next.ts) === day && sameRun(row, next);
    out.push({ row, day: newDay ? dayLabel(row.ts, now) : undefined, groupStart: !joinsPrev, groupEnd: !joinsNext });
  }
  return out;
}

function sameRun(a: Row, b: Row): boolean {
  const aa = authorOf(a);
  return aa !== null && aa === authorOf(b) && Math.abs(b.ts - a.ts) <= GROUP_GAP_MS;
}

/**
 * "Seen by": members (other than the author) whose read cursor reached `seq`.
 * Only shown under the newest message of mine that someone has seen.
 */
export function seenBy(seq: number, author: string, reads: Record<string, number>, names: Record<string, string>): string[] {
  return Object.entries(reads)
    .filter(([userId, readSeq]) => userId !== author && readSeq >= seq)
    .map(([userId]) => names[userId] ?? userId)
    .sort();
}
