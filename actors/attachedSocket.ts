/**
 * One client socket attached to its actor, as every host that feeds frames in from outside sees it
 * (Bun's sockets, and the owner's side of sockets bridged from other nodes). Frames that arrive
 * before the actor's welcome wait for it, in order; once it is out they go straight in, so sends from
 * one socket pipeline into one group commit instead of waiting for each other.
 */
import type { Connection, Resume, SocketActor } from "./ports.ts";

export class AttachedSocket {
  private readonly opened: Promise<void>;
  /** `opened` has settled and every frame that waited for it was handed on. */
  private isOpen = false;

  constructor(
    /** Resolved at each use: hosts track use per call (idle eviction) and may replace an actor. */
    private readonly actor: () => SocketActor,
    readonly conn: Connection,
    resume: Resume | undefined,
    private readonly onError: (e: unknown, stage: "connect" | "frame") => void,
  ) {
    this.opened = actor()
      .connect(conn, resume)
      .catch((e) => onError(e, "connect"))
      // Frames queued on `opened` run right after this, in the same microtask checkpoint, so a frame
      // that arrives later (a new task) and goes straight in cannot overtake them.
      .then(() => void (this.isOpen = true));
  }

  receive(raw: string): void {
    const run = () => this.actor().receive(this.conn, raw);
    (this.isOpen ? run() : this.opened.then(run)).catch((e) => this.onError(e, "frame"));
  }

  /** The socket is gone: the actor forgets it once its welcome is through. */
  detach(): void {
    void this.opened.then(() => this.actor().disconnect(this.conn));
  }
}
