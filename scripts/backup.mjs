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
 * - jwt-secret (when the node generated its own) is copied, so tokens stay valid.
 * - nexus.search.db is left out: it holds only derived data and is rebuilt at the next start.
 *
 * Everything is written under `<destination>.partial`, fsynced, checked (`PRAGMA integrity_check`)
 * and only then renamed to the destination, so a folder with the destination's name is always a
 * whole backup; a failed run removes its partial folder. Files are readable by the running user
 * only (they hold password hashes). Restore: docs/operations.md.
 */
import { chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve, sep } from "node:path";

process.umask(0o077);

function fail(msg) {
  console.error(`[backup] ${msg}`);
  process.exit(1);
}

const arg = process.argv[2];
if (!arg || process.argv.length > 3) fail("usage: npm run backup -- <destination folder>   (DATA_DIR names the node's data, default ./data)");
// npm runs scripts from the package root; relative paths mean the caller's folder.
const cwd = process.env.INIT_CWD || process.cwd();
const dataDirGiven = resolve(cwd, process.env.DATA_DIR || "./data");
if (!existsSync(join(dataDirGiven, "nexus.db"))) fail(`no database at ${join(dataDirGiven, "nexus.db")}: set DATA_DIR to the node's data folder`);
const dataDir = realpathSync(dataDirGiven);
const db = join(dataDir, "nexus.db");

const given = resolve(cwd, arg);
if (existsSync(given) || isLink(given)) fail(`${given} already exists; a backup never overwrites (name a new folder)`);
// Compared as real paths: a destination reached through a link into DATA_DIR is inside it too.
const target = realDestination(given);
if (target === dataDir || target.startsWith(dataDir + sep)) fail("the destination must be outside DATA_DIR");
const partial = `${target}.partial`;
if (existsSync(partial) || isLink(partial)) fail(`${partial} exists (an interrupted backup?); remove it and run again`);

/** `p` with its nearest existing ancestor resolved through links (the rest does not exist yet). */
function realDestination(p) {
  let base = p;
  const rest = [];
  while (!existsSync(base)) {
    rest.unshift(basename(base));
    base = dirname(base);
  }
  return join(realpathSync(base), ...rest);
}

function isLink(p) {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

let Database;
try {
  // The checkout's own binding; a backup installs nothing (npm ci first).
  Database = createRequire(import.meta.url)("libsql");
} catch (e) {
  fail(`cannot load the libsql package (${e.message}); run npm ci in this checkout first`);
}

/** copyFileSync keeps the source's mode whatever the umask: the copy is for the running user only. */
function copyPrivate(from, to) {
  copyFileSync(from, to);
  chmodSync(to, 0o600);
  fsyncPath(to);
}

function fsyncPath(p) {
  const fd = openSync(p, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const t0 = Date.now();
let summary;
let blobs = 0;
let bytes = 0;
try {
  mkdirSync(dirname(partial), { recursive: true, mode: 0o700 });
  mkdirSync(partial, { mode: 0o700 });

  // 1. The database, as one snapshot.
  const out = join(partial, "nexus.db");
  const src = new Database(db, { readonly: true });
  try {
    src.exec("PRAGMA busy_timeout=5000");
    src.prepare("VACUUM INTO ?").run(out);
  } finally {
    src.close();
  }
  chmodSync(out, 0o600);
  fsyncPath(out); // VACUUM INTO does not sync its output

  // 2. Attachments, after the snapshot (see above); half-written temp files and links are skipped.
  const copyTree = (from, to) => {
    mkdirSync(to, { recursive: true, mode: 0o700 });
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const a = join(from, entry.name);
      const b = join(to, entry.name);
      if (entry.isDirectory()) copyTree(a, b);
      else if (entry.isFile() && !entry.name.endsWith(".tmp")) {
        copyPrivate(a, b);
        blobs++;
        bytes += statSync(b).size;
      }
    }
    fsyncPath(to);
  };
  const attachments = join(dataDir, "attachments");
  if (existsSync(attachments)) copyTree(attachments, join(partial, "attachments"));

  // 3. The generated signing secret, if any.
  const secret = join(dataDir, "jwt-secret");
  if (existsSync(secret)) {
    copyPrivate(secret, join(partial, "jwt-secret"));
  }

  // 4. Check the copy before calling it a backup.
  const check = new Database(out, { readonly: true });
  try {
    const ok = check.prepare("PRAGMA integrity_check").all();
    if (ok.length !== 1 || ok[0].integrity_check !== "ok") throw new Error(`the copy failed its integrity check: ${JSON.stringify(ok).slice(0, 300)}`);
    const count = (sql) => Number(Object.values(check.prepare(sql).get())[0]);
    summary = {
      accounts: count("SELECT count(*) FROM users"),
      conversations: count("SELECT count(*) FROM conversations"),
      events: count("SELECT count(*) FROM events"),
    };
  } finally {
    check.close();
  }
  fsyncPath(partial);
  renameSync(partial, target);
  fsyncPath(dirname(target));
} catch (e) {
  rmSync(partial, { recursive: true, force: true });
  fail(`failed, nothing kept: ${e.message}`);
}
console.log(
  `[backup] ${target}: ${summary.accounts} accounts, ${summary.conversations} conversations, ${summary.events} events, ` +
    `${blobs} attachment files (${(bytes / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s; integrity ok`,
);
