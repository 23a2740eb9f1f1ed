/**
 * limits.maxSocketsPerUser across all of a user's objects on Cloudflare. One object sees only its
 * own sockets, so each accepted socket is registered in the user's InboxDO (one per user), which
 * holds the count in its storage (it outlives hibernation and eviction): a conversation object asks
 * before it accepts (`socketOpened`) and tells when the socket is gone (`socketClosed`); the inbox
 * object does the same with its own registry. A registration whose close was never told (an object
 * reset, a lost close event) would hold a place for ever, so at the cap the inbox asks each holder
 * whether the socket is still open (`hasSocket`) and forgets those that are not.
 */

/** Which object holds a socket: "conversation|<id>|<connId>" or "inbox|<userId>|<connId>". */
export const socketKey = (kind: "conversation" | "inbox", name: string, connId: string) => `${kind}|${name}|${connId}`;

export function parseSocketKey(key: string): { kind: string; name: string; connId: string } | null {
  const [kind, name, connId, ...rest] = key.split("|");
  return kind && name && connId && rest.length === 0 ? { kind, name, connId } : null;
}

/** What a DO calls on the user's socket registry (InboxDO's RPC methods, or the inbox itself). */
export interface UserSocketsRpc {
  /** Registers the socket, or answers false when the user already holds `max` open sockets. */
  socketOpened(key: string, max: number): Promise<boolean>;
  socketClosed(key: string): Promise<void>;
}

const PREFIX = "socket:";

/** The registry in the InboxDO's key-value storage. */
export class UserSocketRegistry implements UserSocketsRpc {
  constructor(
    private readonly storage: DurableObjectStorage,
    /** Is the socket of this key still open at its holder? */
    private readonly alive: (key: string) => Promise<boolean>,
  ) {}

  async socketOpened(key: string, max: number): Promise<boolean> {
    let held = [...(await this.storage.list({ prefix: PREFIX })).keys()];
    if (held.length >= max) {
      const gone: string[] = [];
      for (const k of held) if (!(await this.alive(k.slice(PREFIX.length)).catch(() => true))) gone.push(k);
      if (gone.length) await this.storage.delete(gone);
      held = [...(await this.storage.list({ prefix: PREFIX })).keys()];
    }
    if (held.length >= max) return false;
    await this.storage.put(PREFIX + key, Date.now());
    return true;
  }

  async socketClosed(key: string): Promise<void> {
    await this.storage.delete(PREFIX + key);
  }
}
