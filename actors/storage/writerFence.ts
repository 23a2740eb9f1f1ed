/**
 * One conversation store's side of the owner fence (ownerFence.ts, cluster mode): the token its
 * commits carry, or, for a conversation it loaded absent, the claim its create makes. Commits asked
 * for while that claim is on its way wait for its outcome, so no batch is ever built without a
 * token it holds.
 */
import { claimFence, fenceCheck, readFence, type FenceStay } from "./ownerFence.ts";
import { mayHaveDiverged, type Sql, type Statement } from "./sql.ts";

/** The statements a fenced commit starts with, given whether it creates the conversation. */
export type FenceStatements = (creates: boolean) => Statement[];

export class WriterFence {
  private token: number | undefined;
  /** Loaded absent: the stored token the create claims from. */
  private claimFrom: number | undefined;
  private claiming: Promise<void> | null = null;

  constructor(private readonly stay: FenceStay, private readonly sql: Sql, private readonly convId: string) {}

  /** Before a load reads anything. The token first when the conversation exists (or this stay holds
   *  one): a commit of an earlier owner that lands after this is refused, and one that landed before
   *  is in what the load reads next. An absent conversation takes none, so a probe writes nothing:
   *  the stored token is noted for its create's claim. */
  async beforeLoad(): Promise<void> {
    this.claimFrom = undefined;
    if (this.stay.holds() || (await this.sql.first("SELECT 1 AS x FROM conversations WHERE id = ?", [this.convId])))
      this.token = await this.stay.take();
    else this.claimFrom = await readFence(this.sql, this.convId);
  }

  /** The load found the conversation. False if it was created after `beforeLoad` looked: a token is
   *  taken now, and the caller loads again (what it read so far came before the token). */
  async found(): Promise<boolean> {
    if (this.token !== undefined) return true;
    this.token = await this.stay.take();
    this.claimFrom = undefined;
    return false;
  }

  /** `write` the batch with the statements this writer must put first: the check of its token, or
   *  the claim (a create's only; anything else claims from -1, which no stored token equals, and is
   *  refused like a stale writer's commit). A refused claim makes the host load the actor anew. */
  commit(write: (first: FenceStatements) => Promise<void>): Promise<void> {
    if (this.claiming) {
      const after = this.claiming;
      return after.then(() => this.commit(write));
    }
    const token = this.token;
    if (token !== undefined) return write(() => [fenceCheck(this.convId, token)]);
    const from = this.claimFrom;
    if (from === undefined) return Promise.reject(new Error(`conversation ${this.convId}: fenced store committing before load`));
    const committed = write((creates) => claimFence(this.convId, creates ? from : -1));
    const claiming: Promise<void> = (this.claiming = committed
      .then(
        () => {
          this.token = from + 1;
          this.claimFrom = undefined;
          this.stay.claimed(from + 1);
        },
        (e) => {
          if (mayHaveDiverged(e)) this.stay.refused();
        },
      )
      .finally(() => {
        if (this.claiming === claiming) this.claiming = null;
      }));
    return committed;
  }
}
