/**
 * Where the account service reads on its hot paths (issue #15): a login's user, password hash,
 * lock and state, a socket ticket's checks, token versions and revoked sessions, profiles. On one
 * node and on Cloudflare it is the accounts store itself. In cluster mode it is the node's local
 * replica of the accounts' one home (hosts/cluster/accountsReplica.ts), so none of these cross the
 * WAN; the host bounds how far it may trail the home (docs/cluster.md, Storage: accounts) and
 * makes a write's own answers see the write.
 *
 * Writes, and reads that decide a write (a password change's check, a rotation's claim, the admin
 * list), always go to the home: AccountServiceOptions.sql.
 */
import type { Sql, SqlValue } from "../../actors/storage/sql.ts";

export interface AccountReads extends Pick<Sql, "all" | "first"> {
  /** `listener` runs whenever this copy caught up with changes made elsewhere (another node's lock,
   *  logout, password change): the service then drops what it cached from older reads (token
   *  versions, revoked families), so a change takes effect here within the copy's bound, not the
   *  cache's AUTH_CACHE_MS on top of it. */
  onCaughtUp?(listener: () => void): void;
}

/**
 * A user's row from `reads`, or from the home when this copy has no such user yet. A new account
 * is the one thing a trailing copy misses outright (signed up through region a, logging in through
 * c a moment later: "wrong username or password"), so a user lookup that finds nothing asks the
 * home once. Only user rows: other misses are normal (most users have no account_states row) and
 * must not cost a round trip. A wrong username thus costs one home read, as a wrong password
 * already costs a write there (the failure counter).
 */
export async function userRowOrHome<T>(reads: AccountReads, home: Pick<Sql, "first">, sql: string, args: SqlValue[]): Promise<T | undefined> {
  const row = await reads.first<T>(sql, args);
  if (row !== undefined || (reads as unknown) === home) return row;
  return home.first<T>(sql, args);
}
