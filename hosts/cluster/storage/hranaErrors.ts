/**
 * hrana-client's errors as @libsql/client reports them, for the requests this host sends on hrana
 * streams of its own (readStreams.ts, writeStream.ts): the server's SQL errors keep SQLite's code (e.g.
 * SQLITE_CONSTRAINT_CHECK, SQLITE_BUSY), which is what remoteLibsql.ts (provesNothingWritten,
 * retryWhileBusy, `request`) looks at.
 */
import * as hrana from "@libsql/hrana-client";
import { LibsqlError } from "@libsql/client/ws";

export function asLibsqlError(e: unknown): unknown {
  if (e instanceof LibsqlError) return e;
  if (e instanceof hrana.ResponseError && e.code !== undefined) return new LibsqlError(e.message, e.code, undefined, undefined, e);
  if (e instanceof hrana.ClientError) return new LibsqlError(e.message, "HRANA_CLIENT_ERROR", undefined, undefined, e);
  return e;
}

/** An error the server answered (an SQL error): the stream it came on is still fine. */
export function isServerAnswer(e: unknown): boolean {
  return e instanceof hrana.ResponseError && e.code !== undefined;
}
