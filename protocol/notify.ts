/**
 * Notification settings of one user (stored by their inbox actor, synced to every device) and the
 * one rule that reads them. The server decides Web Push with `shouldAlert`, the web client decides
 * browser notifications with it and the tab badge with `badgeCount`: one rule, so a muted
 * conversation is silent everywhere at once.
 */
import { z } from "zod";
import { ConversationId } from "./events.ts";
import type { ConversationSummary } from "./events.ts";

/** all: every message; mentions: direct messages and mentions of me; nothing: never alert. */
export const NotifyLevel = z.enum(["all", "mentions", "nothing"]);
export type NotifyLevel = z.infer<typeof NotifyLevel>;

export const ConversationNotify = z.object({
  level: NotifyLevel,
  /** Present while muted: muted until this time (ms), or until unmuted when `until` is null. */
  muted: z.object({ until: z.number().int().min(0).nullable() }).optional(),
});
export type ConversationNotify = z.infer<typeof ConversationNotify>;

const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time of day, HH:MM (24 h)");
/** An IANA time zone the runtime knows (Intl), e.g. Europe/Berlin. */
const TimeZone = z.string().min(1).max(64).refine((tz) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "an IANA time zone, e.g. Europe/Berlin");

export const DndSchedule = z.object({ from: ClockTime, to: ClockTime, timeZone: TimeZone });
export type DndSchedule = z.infer<typeof DndSchedule>;

export const DoNotDisturb = z.object({
  /** Every day from `from` to `to` in `timeZone` (may wrap past midnight), or none. */
  schedule: DndSchedule.nullable(),
  /** "Pause notifications": silent until this time (ms), or not paused. */
  pausedUntil: z.number().int().min(0).nullable(),
});
export type DoNotDisturb = z.infer<typeof DoNotDisturb>;

export const NotifySettings = z.object({
  /** Only conversations with a setting other than the default (level all, not muted). */
  conversations: z.record(ConversationId, ConversationNotify),
  dnd: DoNotDisturb,
});
export type NotifySettings = z.infer<typeof NotifySettings>;

export const defaultNotifySettings = (): NotifySettings => ({ conversations: {}, dnd: { schedule: null, pausedUntil: null } });

/** PUT /v1/me/notifications/conversations/:id */
export const ConversationNotifyBody = z.object({
  level: NotifyLevel,
  /** Mute for this many minutes (1..525600), "forever" (until unmuted), or null to unmute. */
  mute: z.union([z.number().int().min(1).max(525_600), z.literal("forever"), z.null()]).default(null),
});
export type ConversationNotifyBody = z.infer<typeof ConversationNotifyBody>;
/** PUT /v1/me/notifications/dnd: `pauseMinutes` pauses from now (0 ends a pause). */
export const DndBody = z.object({
  schedule: DndSchedule.nullable(),
  pauseMinutes: z.number().int().min(0).max(10_080).optional(),
});
export type DndBody = z.infer<typeof DndBody>;

export const conversationNotify = (s: NotifySettings, id: string): ConversationNotify => s.conversations[id] ?? { level: "all" };

export function isMuted(c: ConversationNotify, now: number): boolean {
  return !!c.muted && (c.muted.until === null || c.muted.until > now);
}

/** Minutes since local midnight in `timeZone`. */
function localMinutes(now: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(now);
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return n("hour") * 60 + n("minute");
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function dndActive(d: DoNotDisturb, now: number): boolean {
  if (d.pausedUntil !== null && d.pausedUntil > now) return true;
  if (!d.schedule) return false;
  const t = localMinutes(now, d.schedule.timeZone);
  const from = minutesOf(d.schedule.from), to = minutesOf(d.schedule.to);
  if (from === to) return false;
  return from < to ? t >= from && t < to : t >= from || t < to; // 22:00-07:00 wraps past midnight
}

/** What a new message is to its reader: a direct message, a mention of them, or any other. */
export type AlertKind = "direct" | "mention" | "message";

/** What the new summary `c` brings its reader, or null when it is no new message from someone else. */
export function newMessageKind(userId: string, old: ConversationSummary | undefined, c: ConversationSummary): AlertKind | null {
  if (!c.preview || c.preview.deleted || c.preview.author === userId) return null;
  if (c.unread <= (old?.unread ?? 0) || c.lastSeq <= (old?.lastSeq ?? 0)) return null;
  if (c.type === "direct") return "direct";
  return (c.mentions ?? 0) > (old?.mentions ?? 0) ? "mention" : "message";
}

/** May this conversation make a sound at all (level and mute, not DND)? */
function wants(c: ConversationNotify, kind: AlertKind, now: number): boolean {
  if (isMuted(c, now) || c.level === "nothing") return false;
  return c.level === "all" || kind !== "message";
}

/** Browser notification / Web Push for a new message of `kind` in conversation `id`. */
export function shouldAlert(s: NotifySettings, id: string, kind: AlertKind, now: number): boolean {
  return wants(conversationNotify(s, id), kind, now) && !dndActive(s.dnd, now);
}

/** The tab badge: unread messages that would alert (DND silences, it does not hide counts). */
export function badgeCount(s: NotifySettings, rows: readonly ConversationSummary[], now: number): number {
  let n = 0;
  for (const r of rows) {
    const c = conversationNotify(s, r.id);
    if (wants(c, "message", now)) n += r.unread;
    else if (r.type === "direct" ? wants(c, "direct", now) : wants(c, "mention", now)) n += r.type === "direct" ? r.unread : (r.mentions ?? 0);
  }
  return n;
}

/** Apply a PUT body to the settings (pure: returns new settings). */
export function withConversationNotify(s: NotifySettings, id: string, body: ConversationNotifyBody, now: number): NotifySettings {
  const c: ConversationNotify = { level: body.level };
  if (body.mute !== null) c.muted = { until: body.mute === "forever" ? null : now + body.mute * 60_000 };
  const conversations = { ...s.conversations };
  if (c.level === "all" && !c.muted) delete conversations[id];
  else conversations[id] = c;
  return { ...s, conversations };
}

export function withDnd(s: NotifySettings, body: DndBody, now: number): NotifySettings {
  const pausedUntil = body.pauseMinutes === undefined ? s.dnd.pausedUntil : body.pauseMinutes === 0 ? null : now + body.pauseMinutes * 60_000;
  return { ...s, dnd: { schedule: body.schedule, pausedUntil } };
}

// ---- Web Push subscriptions (one per device; POST/DELETE /v1/push/subscriptions) ----
const B64Url = z.string().regex(/^[A-Za-z0-9_-]+=*$/, "base64url");
export const PushSubscriptionBody = z.object({
  /** RFC 8030 push resources are https (the push service's URL, from PushManager.subscribe). */
  endpoint: z.string().max(2048).url().refine((u) => u.startsWith("https://"), "endpoint must be an https URL"),
  keys: z.object({ p256dh: B64Url.min(80).max(100), auth: B64Url.min(16).max(32) }),
});
export type PushSubscriptionBody = z.infer<typeof PushSubscriptionBody>;
export const PushUnsubscribeBody = z.object({ endpoint: PushSubscriptionBody.shape.endpoint });

/** The decrypted payload of a push: the service worker shows it and opens `conversationId` on click. */
export const PushPayload = z.object({
  conversationId: ConversationId,
  kind: z.enum(["direct", "mention", "message"]),
  title: z.string(),
  body: z.string(),
  seq: z.number().int().min(0),
});
export type PushPayload = z.infer<typeof PushPayload>;
