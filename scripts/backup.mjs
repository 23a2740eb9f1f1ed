#!/usr/bin/env node
/**
 * `npm run backup -- <destination>`: a consistent copy of a Bun node's DATA_DIR (default ./data),
 * taken while the node runs or while it is stopped.
 *
 * - nexus.db (accounts, conversations, messages, members, inbox rows) is copied with `VACUUM INTO`,
 *   which writes a snapshot of one read transaction: every commit before it, none after, whatever the
 *   node commits meanwhile (WAL readers do not block the writer, nor it them).
 * - attachments/ is copied after the snapshot: a blob is fsynced and renamed into place before the
 *   row that references it commits, so every attachment the snapshot knows is already complete. A
 *   blob uploaded during the copy may come along without a row; it is never served.
 * - jwt-secret (when the node generated its own) is copied with mode 0600, so tokens stay valid.
 * - nexus.search.db is left out: it holds only derived data and is rebuilt at the next start.
 *
 * The copy is checked (`PRAGMA integrity_check`) before the command says it is done. To restore:
 * stop the node and start it with DATA_DIR pointing at the copy (docs/operations.md).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, chmodSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureNpm } from "./ensure.mjs";

function fail(msg) {
  console.error(`[backup] ${msg}`);
  process.exit(1);
}

const dest = process.argv[2];
if (!dest || process.argv.length > 3) fail("usage: npm run backup -- <destination folder>   (DATA_DIR names the node's data, default ./data)");
const dataDir = resolve(process.env.DATA_DIR || "./data");
const target = resolve(dest);
const db = join(dataDir, "nexus.db");
if (!existsSync(db)) fail(`no database at ${db}: set DATA_DIR to the node's data folder`);
if (target === dataDir || target.startsWith(dataDir + "/")) fail("the destination must be outside DATA_DIR");
if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0))
  fail(`${target} exists and is not an empty folder; a backup never overwrites`);

try {
  ensureNpm();
} catch (e) {
  fail(e.message);
}
const { default: Database } = await import("libsql");

mkdirSync(target, { recursive: true, mode: 0o700 });
const t0 = Date.now();

// 1. The database, as one snapshot.
const out = join(target, "nexus.db");
const src = new Database(db);
try {
  src.exec("PRAGMA busy_timeout=5000");
  src.prepare("VACUUM INTO ?").run(out);
} finally {
  src.close();
}
chmodSync(out, 0o600); // password hashes and every message: readable by the node's user only

// 2. Attachments, after the snapshot (see above); half-written temp files are skipped.
let blobs = 0;
let bytes = 0;
function copyTree(from, to) {
  mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const a = join(from, entry.name);
    const b = join(to, entry.name);
    if (entry.isDirectory()) copyTree(a, b);
    else if (entry.isFile() && !entry.name.endsWith(".tmp")) {
      copyFileSync(a, b);
      blobs++;
      bytes += statSync(a).size;
    }
  }
}
const attachments = join(dataDir, "attachments");
if (existsSync(attachments)) copyTree(attachments, join(target, "attachments"));

// 3. The generated signing secret, if any.
const secret = join(dataDir, "jwt-secret");
if (existsSync(secret)) {
  copyFileSync(secret, join(target, "jwt-secret"));
  chmodSync(join(target, "jwt-secret"), 0o600);
}

// 4. Check the copy before calling it done.
const check = new Database(out, { readonly: true });
let summary;
try {
  const ok = check.prepare("PRAGMA integrity_check").all();
  if (ok.length !== 1 || ok[0].integrity_check !== "ok") fail(`the copy failed its integrity check: ${JSON.stringify(ok).slice(0, 300)}`);
  const count = (sql) => Number(Object.values(check.prepare(sql).get())[0]);
  summary = {
    accounts: count("SELECT count(*) FROM users"),
    conversations: count("SELECT count(*) FROM conversations"),
    events: count("SELECT count(*) FROM events"),
  };
} finally {
  check.close();
}
console.log(
  `[backup] ${target}: ${summary.accounts} accounts, ${summary.conversations} conversations, ${summary.events} events, ` +
    `${blobs} attachment files (${(bytes / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s; integrity ok`,
);
