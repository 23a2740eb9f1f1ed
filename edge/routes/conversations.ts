/**
 * Conversations: create (direct, group), read, rename, members, history, REST send and delete.
 * The edge only validates input and resolves usernames; every rule is enforced by the actor.
 */
import { Hono } from "hono";
import { z } from "zod";
import {
  AddMemberBody,
  ConversationId,
  CreateDirectBody,
  CreateGroupBody,
  HistoryQuery,
  NexusError,
  RenameBody,
  PinBody,
  RestSendBody,
  SetRoleBody,
  UserId,
  type Member,
} from "../../protocol/index.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";
import { directId, groupIdFor } from "./conversationIds.ts";
import { randomId } from "../../protocol/ids.ts";

const IdParam = z.object({ id: ConversationId });
const MemberParam = z.object({ id: ConversationId, userId: UserId });
const SeqParam = z.object({ id: ConversationId, seq: z.coerce.number().int().min(1) });

export function conversationRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const conv = (id: string) => deps.actors.conversation(id);

  async function memberByName(username: string, role: Member["role"] = "member"): Promise<Member> {
    const u = await deps.accounts.findByUsername(username);
    if (!u) throw new NexusError("not_found", `no user named ${username}`);
    return { userId: u.id, username: u.username, role };
  }

  r.get("/v1/conversations", async (c) => {
    const caller = callerOf(c);
    return c.json({ conversations: await deps.actors.inbox(caller.userId).list(caller) });
  });

  r.post("/v1/conversations/direct", validate("json", CreateDirectBody), async (c) => {
    const me = c.get("user");
    const other = await memberByName(c.req.valid("json").username);
    if (other.userId === me.userId) throw new NexusError("bad_request", "a direct conversation needs another user");
    const id = await directId(me.userId, other.userId);
    const self: Member = { userId: me.userId, username: me.username, role: "member" };
    return c.json(await conv(id).create(callerOf(c), { type: "direct", title: "", members: [self, other] }));
  });

  r.post("/v1/conversations", validate("json", CreateGroupBody), async (c) => {
    const me = c.get("user");
    const body = c.req.valid("json");
    const names = [...new Set(body.members.map((n) => n.toLowerCase()))].filter((n) => n !== me.username);
    const members = await Promise.all(names.map((n) => memberByName(n)));
    members.unshift({ userId: me.userId, username: me.username, role: "admin" });
    const id = body.clientId ? await groupIdFor(me.userId, body.clientId) : randomId("g");
    const info = await conv(id).create(callerOf(c), { type: "group", title: body.title, members });
    return c.json(info, 201);
  });

  r.get("/v1/conversations/:id", validate("param", IdParam), async (c) => c.json(await conv(c.req.valid("param").id).info(callerOf(c))));

  r.patch("/v1/conversations/:id", validate("param", IdParam), validate("json", RenameBody), async (c) =>
    c.json(await conv(c.req.valid("param").id).rename(callerOf(c), c.req.valid("json").title)));

  r.post("/v1/conversations/:id/members", validate("param", IdParam), validate("json", AddMemberBody), async (c) => {
    const body = c.req.valid("json");
    return c.json(await conv(c.req.valid("param").id).addMember(callerOf(c), await memberByName(body.username, body.role)));
  });

  r.delete("/v1/conversations/:id/members/:userId", validate("param", MemberParam), async (c) => {
    const p = c.req.valid("param");
    return c.json(await conv(p.id).removeMember(callerOf(c), p.userId));
  });

  r.patch("/v1/conversations/:id/members/:userId", validate("param", MemberParam), validate("json", SetRoleBody), async (c) => {
    const p = c.req.valid("param");
    return c.json(await conv(p.id).setRole(callerOf(c), p.userId, c.req.valid("json").role));
  });

  r.get("/v1/conversations/:id/messages", validate("param", IdParam), validate("query", HistoryQuery), async (c) => {
    const q = c.req.valid("query");
    const page = await conv(c.req.valid("param").id).history(callerOf(c), q.before, q.limit);
    // A page from a replica of a lost home region (cluster mode): it may trail; writes are refused.
    if (page.readOnly) c.header("X-Nexus-Read-Only", "1");
    return c.json(page);
  });

  r.post("/v1/conversations/:id/messages", validate("param", IdParam), validate("json", RestSendBody), async (c) => {
    const r = await conv(c.req.valid("param").id).send(callerOf(c), c.req.valid("json"));
    return c.json(r, r.duplicate ? 200 : 201);
  });

  r.get("/v1/conversations/:id/pins", validate("param", IdParam), async (c) =>
    c.json({ pins: await conv(c.req.valid("param").id).pins(callerOf(c)) }));

  r.post("/v1/conversations/:id/pins", validate("param", IdParam), validate("json", PinBody), async (c) => {
    const r = await conv(c.req.valid("param").id).pin(callerOf(c), c.req.valid("json"));
    return c.json(r, r.duplicate ? 200 : 201);
  });

  r.delete("/v1/conversations/:id/messages/:seq", validate("param", SeqParam), async (c) => {
    const p = c.req.valid("param");
    // A deterministic clientId makes a retried DELETE idempotent.
    return c.json(await conv(p.id).deleteMessage(callerOf(c), p.seq, `restdel_${p.seq}`));
  });

  return r;
}
