import type { Api } from "../api/client.ts";
import { ConversationConnection } from "./conversation.ts";

/**
 * One socket per conversation per tab, shared by whoever needs it (the open chat view, a call in
 * progress, the outbox flushing to it). Released connections linger briefly so flipping between
 * two chats does not churn sockets, and their timelines resume instead of reloading.
 */
const LINGER_MS = 30_000;

export class ConnectionRegistry {
  private conns = new Map<string, { conn: ConversationConnection; refs: number; linger?: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly api: Api,
    private readonly me: string,
    private readonly onOpen: (c: ConversationConnection) => void = () => {},
  ) {}

  acquire(id: string): ConversationConnection {
    let entry = this.conns.get(id);
    if (!entry) {
      const conn = new ConversationConnection(id, this.me, this.api);
      entry = { conn, refs: 0 };
      this.conns.set(id, entry);
      this.onOpen(conn);
    }
    if (entry.linger) clearTimeout(entry.linger);
    entry.linger = undefined;
    entry.refs++;
    return entry.conn;
  }

  release(id: string): void {
    const entry = this.conns.get(id);
    if (!entry) return;
    entry.refs = Math.max(0, entry.refs - 1);
    if (entry.refs > 0) return;
    entry.linger = setTimeout(() => {
      if (entry.refs > 0) return;
      entry.conn.close();
      this.conns.delete(id);
    }, LINGER_MS);
  }

  /** Only a connection someone holds open; the outbox uses it when it exists. */
  peek(id: string): ConversationConnection | undefined {
    return this.conns.get(id)?.conn;
  }

  all(): ConversationConnection[] {
    return [...this.conns.values()].map((e) => e.conn);
  }

  closeAll(): void {
    for (const e of this.conns.values()) {
      if (e.linger) clearTimeout(e.linger);
      e.conn.close();
    }
    this.conns.clear();
  }
}
