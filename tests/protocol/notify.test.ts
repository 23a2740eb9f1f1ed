/** The one notification rule (protocol/notify.ts): levels, mute, do-not-disturb, the badge. */
import { describe, expect, test } from "bun:test";
import { badgeCount, defaultNotifySettings, dndActive, shouldAlert, withConversationNotify, withDnd, type ConversationSummary } from "../../protocol/index.ts";

const at = (iso: string) => Date.parse(iso);
const row = (id: string, type: "direct" | "group", unread: number, mentions = 0) =>
  ({ id, type, title: "", members: [], lastSeq: 10, lastTs: 0, preview: null, unread, mentions, readSeq: 1 }) as ConversationSummary;

describe("notify rules", () => {
  test("levels: all, mentions (and direct messages), nothing", () => {
    const now = at("2026-06-01T12:00:00Z");
    let s = defaultNotifySettings();
    expect(shouldAlert(s, "g_aaaaaaaa", "message", now)).toBe(true);
    s = withConversationNotify(s, "g_aaaaaaaa", { level: "mentions", mute: null }, now);
    expect(shouldAlert(s, "g_aaaaaaaa", "message", now)).toBe(false);
    expect(shouldAlert(s, "g_aaaaaaaa", "mention", now)).toBe(true);
    expect(shouldAlert(s, "g_aaaaaaaa", "direct", now)).toBe(true);
    s = withConversationNotify(s, "g_aaaaaaaa", { level: "nothing", mute: null }, now);
    expect(shouldAlert(s, "g_aaaaaaaa", "mention", now)).toBe(false);
    expect(withConversationNotify(s, "g_aaaaaaaa", { level: "all", mute: null }, now).conversations).toEqual({});
  });

  test("mute for a period ends by itself; 'forever' does not", () => {
    const now = at("2026-06-01T12:00:00Z");
    const s = withConversationNotify(defaultNotifySettings(), "d_aaaaaaaa", { level: "all", mute: 60 }, now);
    expect(shouldAlert(s, "d_aaaaaaaa", "direct", now + 59 * 60_000)).toBe(false);
    expect(shouldAlert(s, "d_aaaaaaaa", "direct", now + 60 * 60_000)).toBe(true);
    const f = withConversationNotify(s, "d_aaaaaaaa", { level: "all", mute: "forever" }, now);
    expect(shouldAlert(f, "d_aaaaaaaa", "direct", now + 365 * 86_400_000)).toBe(false);
  });

  test("do-not-disturb: a schedule in the user's time zone (wrapping midnight) and a pause", () => {
    const d = { schedule: { from: "22:00", to: "07:00", timeZone: "Europe/Berlin" }, pausedUntil: null };
    expect(dndActive(d, at("2026-06-01T20:30:00Z"))).toBe(true); // 22:30 in Berlin (UTC+2 in June)
    expect(dndActive(d, at("2026-06-01T04:59:00Z"))).toBe(true); // 06:59
    expect(dndActive(d, at("2026-06-01T05:00:00Z"))).toBe(false); // 07:00
    expect(dndActive(d, at("2026-06-01T19:59:00Z"))).toBe(false); // 21:59
    expect(dndActive({ ...d, schedule: { from: "09:00", to: "17:00", timeZone: "America/New_York" } }, at("2026-01-05T15:00:00Z"))).toBe(true); // 10:00 EST
    const now = at("2026-06-01T12:00:00Z");
    const s = withDnd(defaultNotifySettings(), { schedule: null, pauseMinutes: 120 }, now);
    expect(shouldAlert(s, "d_aaaaaaaa", "direct", now + 119 * 60_000)).toBe(false);
    expect(shouldAlert(s, "d_aaaaaaaa", "direct", now + 120 * 60_000)).toBe(true);
    expect(withDnd(s, { schedule: null, pauseMinutes: 0 }, now).dnd.pausedUntil).toBeNull();
    expect(withDnd(s, { schedule: null }, now).dnd.pausedUntil).toBe(s.dnd.pausedUntil); // kept when not given
  });

  test("badge: what would alert counts, DND only silences", () => {
    const now = at("2026-06-01T12:00:00Z");
    let s = defaultNotifySettings();
    const rows = [row("g_aaaaaaaa", "group", 5, 1), row("g_bbbbbbbb", "group", 3, 0), row("d_cccccccc", "direct", 2)];
    expect(badgeCount(s, rows, now)).toBe(10);
    s = withConversationNotify(s, "g_aaaaaaaa", { level: "mentions", mute: null }, now);
    s = withConversationNotify(s, "g_bbbbbbbb", { level: "all", mute: "forever" }, now);
    expect(badgeCount(s, rows, now)).toBe(1 + 0 + 2);
    s = withConversationNotify(s, "d_cccccccc", { level: "mentions", mute: null }, now);
    expect(badgeCount(s, rows, now)).toBe(3); // a direct message is "for me" at level mentions
    expect(badgeCount(withDnd(s, { schedule: null, pauseMinutes: 60 }, now), rows, now)).toBe(3);
  });
});
