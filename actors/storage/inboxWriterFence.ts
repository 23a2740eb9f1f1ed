/**
 * One inbox store's side of the owner fence (ownerFence.ts; cluster mode). A user's inbox is owned
 * by one node at a time through a lease, but a node that was paused (SIGSTOP, a long GC, a VM freeze)
 * or cut off from Redis can still write after a peer took the inbox over: its write-behind
 * (summaries, last seen, chosen status), but also what its user was told was saved (notification
 * settings, push subscriptions, pending uploads). Without a fence such a late write overwrote the
 * new owner's newer rows.
 *
 * Every write of an inbox is a claim: a compare-and-set of the inbox's token in `inbox_fences` from
 * the value this writer last knew to the next one (ownerFence.ts claimFence), first in the write's
 * own transaction. A load reads the token before anything else and writes nothing: an inbox is
 * loaded for a presence lookup of each of a user's contacts and for each summary a conversation
 * sends its members, so a token taken per load (as a conversation's) would be a write each (#16).
 * The writes of one store run one after another, each claiming from the token the one before set.
 *
 * Why no write overwrites what its writer did not read:
 * - The stored token moves by one with every committed write (a claim) and with every page of a
 *   move's import (advanceFence), never otherwise; a claim from `t` commits only while it is `t`,
 *   so two writes from `t` cannot both commit.
 * - A writer's token is what its load read before reading any row, or what its own last write set.
 *   So when its claim from `t` commits, nobody has written the inbox since this writer read or wrote
 *   it: what it holds is storage plus its own changes. Any other write meanwhile (a new owner's, a
 *   stale owner's, another instance on this node) moved the token, and the whole batch is refused
 *   (`owner_fence`, rolled back).
 * - So of two writers, the later commit either read the earlier one's writes or is refused. What a
 *   user was told was saved (written before the answer) stays stored until a writer that read it
 *   writes again.
 *
 * The interleavings (S a stale owner, N the node that took the inbox over):
 * - S's write-behind after N's first write (a setting the user was acknowledged for, a summary): N's
 *   write moved the token, S's claim is refused; the stored state is N's.
 * - S's write before N's first write: it lands (N wrote nothing to lose), and N's first write is
 *   refused: N reloads, reads it, and claims from there. Nobody's write is overwritten unread.
 * - A write S would acknowledge (a setting asked of S) after N's write: refused; the caller gets
 *   `storage_unavailable`, never an ack, and retries (by then routed to N).
 * - A refusal (or an outcome unknown: the token may have moved) ends the actor's writes for good: no
 *   retry, since its claim can never succeed again. It closes its sockets and its host drops it
 *   (InboxActor `onDiverged`); what it held behind unwritten is derived (summaries come again with
 *   their conversation's next change; last seen and chosen status with the next session) and goes
 *   with it. The next use loads anew and claims from the stored token. A stale node may so claim
 *   again (a conversation's stale actor keeps its token instead): it read everything stored first,
 *   so it loses nothing, and it exits at its next lease renewal (leases.ts).
 * - An inbox with no rows and no fence row yet: the load reads 0, the first write's claim inserts
 *   the row and moves it to 1 in the same transaction; two such first writes cannot both commit.
 * - Moves (homeMoves.ts): the old copy's tombstone refuses every write of it, whatever the token
 *   (moveFence.ts). The new copy is imported under a tombstone, and every page advances the target
 *   database's token, so a writer from an earlier stay of the inbox there (moved away and back) is
 *   refused; the new home's owner can load only after the switch, when the pages are all in.
 * Single-node and Cloudflare hosts have no fence (one process, or one Durable Object, per inbox):
 * their inbox writes are the plain batches they were.
 */
import { claimFence, readFence } from "./ownerFence.ts";
import { MOVABLE } from "./movableKinds.ts";
import { mayHaveDiverged, type Sql, type Statement } from "./sql.ts";

const INBOXES = MOVABLE.inbox.fence;

export class InboxWriterFence {
  /** The stored token as this writer last knew it: read by its load, then set by each of its writes. */
  private token: number | undefined;
  /** The refusal (or unknown outcome) that ended this writer: every later write fails with it unsent. */
  private refusal: unknown = null;
  /** Writes run one after another: each claims from the token the previous one left. */
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly sql: Sql, private readonly userId: string) {}

  /** Before a load reads any row: what the first write claims from. */
  async beforeLoad(): Promise<void> {
    this.token = await readFence(this.sql, this.userId, INBOXES);
  }

  /** `write` the batch with the claim first; refused (rejects with `owner_fence`) when anyone else
   *  wrote the inbox since this writer read or wrote it. */
  commit(write: (claim: Statement[]) => Promise<void>): Promise<void> {
    const run = this.tail.then(() => {
      if (this.refusal) throw this.refusal;
      const from = this.token;
      if (from === undefined) throw new Error(`inbox ${this.userId}: a fenced store writing before its load`);
      return write(claimFence(this.userId, from, INBOXES)).then(
        () => {
          this.token = from + 1;
        },
        (e) => {
          if (mayHaveDiverged(e)) this.refusal = e;
          throw e;
        },
      );
    });
    this.tail = run.catch(() => {});
    return run;
  }
}
