/**
 * What an account service is built from (accounts.ts): its settings, its store, and where a host
 * wants some of its work done instead (a cluster: reads from a local replica, tickets spent in the
 * region, sign-ins that write nothing; hosts/cluster/accountsReplica.ts).
 */
import type { Sql } from "../../actors/storage/sql.ts";
import type { EdgeConfig } from "../config.ts";
import type { AccountReads } from "./accountReads.ts";
import type { PasswordHasher } from "./passwordHasher.ts";

export type AccountConfig = Pick<
  EdgeConfig,
  "jwtSecret" | "accessTtlSeconds" | "refreshTtlSeconds" | "maxFailedLogins" | "lockoutMinutes" | "adminUsernames" | "authCacheMs"
>;

export interface AccountServiceOptions {
  /** The accounts' store (in a cluster, their one home): every write, and reads that decide one. */
  sql: Sql;
  /** Hot-path reads (accountReads.ts); default `sql`. */
  reads?: AccountReads;
  /** Where socket tickets are spent (ticketLedger.ts), default `sql`: a store every node that may
   *  open the ticket's socket shares. `ledger` names it in the tickets issued here, and a ticket
   *  naming another ledger is refused (get a new one), so each ticket is spent in one store only. */
  tickets?: { sql: Sql; ledger: string };
  /** Sign-ins write nothing: a session's first refresh token is signed and stored at its first
   *  rotation (refreshTokens.ts). Cluster mode sets it, so a login needs no trip to the home. */
  firstRefreshSigned?: boolean;
  config: AccountConfig;
  /** The host's hasher (hosts/shared/scryptPasswords.ts on every host today). */
  hasher: PasswordHasher;
  /** Injectable clock (ms) so tests can step past a lockout. */
  now?: () => number;
  /** A new user's id, from the home the host gave at sign-up (a sharded directory encodes its shard). */
  newUserId?: (home: string | undefined) => string;
  /**
   * Who is "the first registered user" when accounts are spread over several stores: called after a
   * registration is stored, true means this user is the first and becomes admin. Without it the
   * first row of this store's users table is (decided inside the INSERT).
   */
  claimFirstAdmin?: (userId: string) => Promise<boolean>;
}

/** What a host may set beside the store: where reads, ticket spends and sign-ins happen. */
export type AccountPlacement = Pick<AccountServiceOptions, "reads" | "tickets" | "firstRefreshSigned">;
