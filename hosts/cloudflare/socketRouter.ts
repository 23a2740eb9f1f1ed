/**
 * SocketRouter for Cloudflare: the Worker has already verified the socket ticket; it forwards the
 * upgrade request to the Durable Object that owns the target, adding who the user is. Any x-nexus-*
 * header the client sent is removed first, so the object can trust what it reads. Stubs come from
 * stubs.ts: an inbox is created at its user's home; a conversation already exists (or refuses).
 */
import type { Context } from "hono";
import type { SocketRouter } from "../../edge/host.ts";
import { ForwardHeaders } from "./doRpc.ts";
import { conversationStub, inboxStub } from "./stubs.ts";
import type { Env } from "./env.ts";

function forwarded(req: Request, fields: Partial<Record<keyof typeof ForwardHeaders, string | undefined>>): Request {
  const headers = new Headers(req.headers);
  for (const name of Object.values(ForwardHeaders)) headers.delete(name);
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) headers.set(ForwardHeaders[key as keyof typeof ForwardHeaders], value);
  return new Request(req.url, { method: "GET", headers });
}

export class DoSocketRouter implements SocketRouter {
  constructor(private readonly env: Env) {}

  async conversation(c: Context, conversationId: string, userId: string, resume: { after?: number; epoch?: string }, session?: string): Promise<Response> {
    const req = forwarded(c.req.raw, {
      user: userId,
      session,
      target: conversationId,
      after: resume.after === undefined ? undefined : String(resume.after),
      epoch: resume.epoch,
    });
    return conversationStub(this.env, conversationId).fetch(req);
  }

  async inbox(c: Context, userId: string, session?: string): Promise<Response> {
    return inboxStub(this.env, userId).fetch(forwarded(c.req.raw, { user: userId, target: userId, session }));
  }
}
