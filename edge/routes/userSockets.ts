/** Closing every socket of a user, wherever it is (its inbox and each conversation it is in). */
import type { Caller, SessionEnd } from "../../actors/ports.ts";
import type { Host } from "../host.ts";

/**
 * `caller`: an account admin (lock, deactivate, reset) or the user themselves (password change,
 * deletion, logout); the actors check which (actors/api.ts kick). `end`: sessions ended (4001, only
 * `end.session`'s sockets when given) rather than the account locked (4003). Sockets opened before a session ended
 * must not outlive it: tokens are refused from then on, and this closes what is already open.
 */
export async function closeUserSockets(deps: Pick<Host, "actors">, caller: Caller, userId: string, end?: SessionEnd): Promise<void> {
  const conversations = await deps.actors.inbox(userId).list({ userId });
  await Promise.all([...conversations.map((s) => deps.actors.conversation(s.id).kick(caller, userId, end)), deps.actors.inbox(userId).kick(caller, end)]);
}
