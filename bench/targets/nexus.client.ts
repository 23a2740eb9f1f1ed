/**
 * Load-generator half of Nexus, speaking the public protocol (docs/api.md, protocol/frames.ts):
 * POST /v1/ws-ticket with the member's access token, open /v1/ws/conversations/:id?ticket=…, wait
 * for `welcome`, then `send` frames whose `text` is the bench payload. Deliveries are `event`
 * frames of kind "message" (or `events` frames holding several); the sender's own event is its ack (durable), whose latency is also
 * reported separately. Each send carries `base`, the newest seq this socket has seen.
 */
import { ReceivedCounter } from "../../protocol/flow.ts";
import { nowMs } from "../lib/payload.ts";
import type { ClientConn, DeliveryHooks, MemberSpec, TargetClient } from "./types.ts";

type Ev = { kind: string; text: string; seq: number; clientId?: string };

async function ticket(base: string, token: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const r = await fetch(`${base}/v1/ws-ticket`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    if (r.ok) return ((await r.json()) as { ticket: string }).ticket;
    if (r.status !== 429 || attempt > 20) throw new Error(`nexus: ws-ticket ${r.status} ${await r.text()}`);
    await Bun.sleep(100 * (attempt + 1));
  }
}

/** Counters restart at 0 in every load-generator process while users and conversations are reused
 *  across scenarios; without a per-process nonce a resend would be a (correctly) deduplicated clientId. */
const NONCE = Math.random().toString(36).slice(2, 8);

export const nexusClient: TargetClient = {
  async connect(spec: MemberSpec, hooks: DeliveryHooks): Promise<ClientConn> {
    const { base, token, conv } = spec.conn as { base: string; token: string; conv: string };
    const t = await ticket(base, token);
    const pending = new Map<string, number>();
    let seen = 0;
    const onEvent = (e: Ev) => {
      seen = e.seq;
      if (e.kind === "message") hooks.deliver(e.text);
      const sentAt = e.clientId === undefined ? undefined : pending.get(e.clientId);
      if (sentAt !== undefined) {
        pending.delete(e.clientId!);
        hooks.ack?.(nowMs() - sentAt);
      }
    };
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${base.replace(/^http/, "ws")}/v1/ws/conversations/${conv}?ticket=${encodeURIComponent(t)}`);
      let open = false;
      // Flow-control acks, only if the welcome asks (a Durable Object host; the Bun host does not).
      const flow = new ReceivedCounter();
      ws.onmessage = (ev) => {
        flow.count((ev.data as string).length);
        const f = JSON.parse(ev.data as string) as {
          t: string;
          e?: Ev;
          es?: Ev[];
          clientId?: string;
          conversation?: { lastSeq: number };
          flow?: { ackChars: number };
          code?: string;
          message?: string;
        };
        if (f.t === "event") onEvent(f.e!);
        else if (f.t === "events") for (const e of f.es!) onEvent(e);
        else if (f.t === "welcome") {
          open = true;
          seen = f.conversation!.lastSeq;
          flow.enable(f.flow);
          resolve({
            send(payload, counter) {
              const clientId = `b${NONCE}_${spec.id}_${counter}`;
              pending.set(clientId, nowMs());
              ws.send(`{"t":"send","clientId":"${clientId}","base":${seen},"text":${JSON.stringify(payload)}}`);
            },
            close: () => ws.close(1000),
          });
        } else if (f.t === "error") {
          if (!open) reject(new Error(`nexus: ${f.code} ${f.message}`));
          hooks.error(f.code ?? "error");
        }
        const ack = flow.due();
        if (ack) ws.send(ack);
      };
      ws.onerror = () => {
        if (!open) reject(new Error("nexus: socket error before welcome"));
      };
      ws.onclose = (ev) => {
        if (!open) reject(new Error(`nexus: closed ${ev.code} ${ev.reason} before welcome`));
        hooks.closed(ev.code);
      };
    });
  },
};
