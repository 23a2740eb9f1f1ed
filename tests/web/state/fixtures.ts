import type { ConversationEvent } from "../../../protocol/index.ts";

export const ME = "u_me";
export const BOB = "u_bob";

let ts = 1_700_000_000_000;
export function msg(seq: number, text: string, extra: Partial<Extract<ConversationEvent, { kind: "message" }>> = {}): ConversationEvent {
  return { seq, ts: ts + seq * 1000, author: BOB, kind: "message", clientId: `cid_${seq}_xxxx`, text, ...extra };
}
export function edit(seq: number, target: number, text: string): ConversationEvent {
  return { seq, ts: ts + seq * 1000, author: BOB, kind: "edit", clientId: `e_${seq}_xxxxx`, target, text };
}
export function del(seq: number, target: number): ConversationEvent {
  return { seq, ts: ts + seq * 1000, author: BOB, kind: "delete", clientId: `d_${seq}_xxxxx`, target };
}
export function react(seq: number, target: number, emoji: string, on: boolean, author = BOB): ConversationEvent {
  return { seq, ts: ts + seq * 1000, author, kind: "reaction", clientId: `r_${seq}_xxxxx`, target, emoji, on };
}
export function welcome(events: ConversationEvent[], recovered: boolean, lastSeq: number, epoch = "ep1", hasMore = false) {
  return { recovered, events, hasMore, conversation: { epoch, lastSeq } };
}
