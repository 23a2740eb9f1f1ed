/** Load-generator half of the raw Bun ceiling: a plain WebSocket carrying the payload as-is. */
import type { ClientConn, DeliveryHooks, MemberSpec, TargetClient } from "./types.ts";

export const rawBunClient: TargetClient = {
  connect(spec: MemberSpec, hooks: DeliveryHooks): Promise<ClientConn> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(spec.conn.url!);
      let open = false;
      ws.onopen = () => {
        open = true;
        resolve({ send: (p) => ws.send(p), close: () => ws.close() });
      };
      ws.onmessage = (ev) => hooks.deliver(ev.data as string);
      ws.onerror = () => {
        if (!open) reject(new Error("rawBun: connect failed"));
      };
      ws.onclose = (ev) => {
        if (!open) reject(new Error(`rawBun: closed ${ev.code} before open`));
        hooks.closed(ev.code);
      };
    });
  },
};
