/** Load-generator half of the Socket.IO baseline: socket.io-client over WebSocket only. */
import { io } from "socket.io-client";
import type { ClientConn, DeliveryHooks, MemberSpec, TargetClient } from "./types.ts";

export const socketioClient: TargetClient = {
  connect(spec: MemberSpec, hooks: DeliveryHooks): Promise<ClientConn> {
    return new Promise((resolve, reject) => {
      const socket = io(spec.conn.url!, {
        transports: ["websocket"],
        auth: { token: spec.conn.token, group: spec.conn.group },
        reconnection: false,
        forceNew: true,
        timeout: 20_000,
      });
      let open = false;
      socket.on("connect", () => {
        open = true;
        resolve({ send: (p) => socket.emit("m", p), close: () => socket.disconnect() });
      });
      socket.on("m", (p: string) => hooks.deliver(p));
      socket.on("connect_error", (err) => {
        if (!open) reject(new Error(`socketio: ${err.message}`));
        else hooks.error(err.message);
      });
      socket.on("disconnect", (reason) => {
        if (open) hooks.closed(reason === "io client disconnect" ? 1000 : 1006);
      });
    });
  },
};
