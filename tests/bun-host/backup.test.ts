/**
 * `npm run backup` (scripts/backup.mjs) on a running node: the copy holds every message acked before
 * the backup began, in order and without gaps, with accounts, attachments and search, and a node
 * started on the copy serves them. Messages keep arriving while the copy is taken. Bad invocations
 * change nothing and say why.
 */
import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { withBunRuntimeEnv } from "../../hosts/bun/runtimeEnv.mjs";
import { DEFAULT_PASSWORD, Nexus, newClientId } from "../support/client.ts";
import { freePort, spawnLogged, tempDir, waitForHttp, type Spawned } from "../../scripts/lib/processes.mjs";

const ROOT = resolve(import.meta.dir, "../..");
const BUN = resolve(ROOT, "node_modules/.bin/bun");
const dirs: string[] = [];
const procs: Spawned[] = [];

afterAll(async () => {
  for (const p of procs) await p.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 30_000);

async function node(dataDir: string): Promise<string> {
  const port = await freePort();
  const proc = spawnLogged(BUN, ["hosts/bun/server.ts"], {
    name: `backup-node-${port}`,
    cwd: ROOT,
    env: withBunRuntimeEnv({ NODE_ENV: "test", PORT: String(port), DATA_DIR: dataDir }),
  });
  procs.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, { proc, timeoutMs: 30_000 });
  return url;
}

function backup(dataDir: string, dest: string) {
  return spawnSync("node", ["scripts/backup.mjs", dest], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, encoding: "utf8" });
}

test("a backup taken while messages flow restores accounts, history, attachments and search", async () => {
  const dataDir = tempDir("nexus-backup-src-");
  const dest = join(tempDir("nexus-backup-dst-"), "copy");
  dirs.push(dataDir, resolve(dest, ".."));
  const url = await node(dataDir);
  const nx = new Nexus(url);
  const alice = await nx.register("bk");
  const bob = await nx.register("bk");
  const conv = await alice.createGroup("backed up", [bob]);
  const { sock } = await alice.join(conv.id);
  const word = `quokka${Date.now().toString(36)}`;
  const before: number[] = [];
  for (let i = 0; i < 40; i++) before.push((await sock.sendMessage(i === 7 ? `the ${word} smiles` : `before ${i}`)).seq);
  const bytes = new TextEncoder().encode("attached bytes");
  const up = await nx.request("POST", `/v1/attachments?conversationId=${conv.id}&name=a.txt`, bytes, alice.token, { "content-type": "text/plain" });
  expect(up.status).toBe(201);
  const withFile = await sock.sendMessage("see file", newClientId("bk"), { attachments: [up.body.id] });
  expect(withFile.t).toBe("ack");

  // Keep sending while the backup runs: the snapshot must be consistent, not just the quiet case.
  let flowing = true;
  const during = (async () => {
    let n = 0;
    while (flowing) await sock.sendMessage(`during ${n++}`);
    return n;
  })();
  const r = backup(dataDir, dest);
  flowing = false;
  expect(await during).toBeGreaterThan(0);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain("integrity ok");
  expect(existsSync(join(dest, "nexus.search.db"))).toBe(false); // derived: rebuilt on start
  expect(statSync(join(dest, "nexus.db")).mode & 0o777).toBe(0o600);
  expect(statSync(dest).mode & 0o777).toBe(0o700);
  const blobFiles = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? blobFiles(join(dir, e.name)) : [join(dir, e.name)]));
  const copied = [...blobFiles(join(dest, "attachments")), join(dest, "jwt-secret")];
  expect(copied.length).toBeGreaterThan(2);
  for (const f of copied) expect(statSync(f).mode & 0o777).toBe(0o600);
  expect(existsSync(`${dest}.partial`)).toBe(false);
  await nx.closeAll();

  // A node on the copy: log in again (password hashes came along), read everything back.
  const restored = new Nexus(await node(dest));
  const a2 = await restored.login(alice.username, DEFAULT_PASSWORD);
  const events = await a2.fullHistory(conv.id);
  const seqs = events.map((e: any) => e.seq);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1)); // from 1, no gap, in order
  for (const s of [...before, withFile.seq]) expect(seqs).toContain(s);
  const fileRow = events.find((e: any) => e.seq === withFile.seq);
  expect(fileRow.attachments.map((a: any) => a.id)).toEqual([up.body.id]);
  const got = await a2.api("GET", `/v1/conversations/${conv.id}/attachments/${up.body.id}`);
  expect(got.status).toBe(200);
  expect(got.text).toBe("attached bytes");
  const hits = await a2.must("GET", `/v1/search?q=${word}`);
  expect(hits.hits.map((h: any) => [h.conversationId, h.event.seq])).toEqual([[conv.id, before[7]]]);
  // Bob's account and membership came along too.
  const b2 = await restored.login(bob.username, DEFAULT_PASSWORD);
  expect((await b2.must("GET", "/v1/conversations")).conversations.map((c: any) => c.id)).toContain(conv.id);
  await restored.closeAll();
}, 90_000);

test("backup refuses an existing destination, one inside DATA_DIR (also through a link) and a folder without a database", () => {
  const dataDir = tempDir("nexus-backup-bad-");
  dirs.push(dataDir);
  const noDb = backup(dataDir, join(dataDir, "..", `x-${Date.now()}`));
  expect(noDb.status).toBe(1);
  expect(noDb.stderr).toContain("no database");

  writeFileSync(join(dataDir, "nexus.db"), "");
  const inside = backup(dataDir, join(dataDir, "copy"));
  expect(inside.status).toBe(1);
  expect(inside.stderr).toContain("outside DATA_DIR");
  expect(existsSync(join(dataDir, "copy"))).toBe(false);

  // Through a link that points into DATA_DIR: still inside.
  const outside = tempDir("nexus-backup-link-");
  dirs.push(outside);
  mkdirSync(join(dataDir, "sub"));
  symlinkSync(join(dataDir, "sub"), join(outside, "link"));
  const viaLink = backup(dataDir, join(outside, "link", "copy"));
  expect(viaLink.status).toBe(1);
  expect(viaLink.stderr).toContain("outside DATA_DIR");
  expect(readdirSync(join(dataDir, "sub"))).toEqual([]);

  const full = tempDir("nexus-backup-full-");
  dirs.push(full);
  mkdirSync(join(full, "keep"));
  const occupied = backup(dataDir, full);
  expect(occupied.status).toBe(1);
  expect(occupied.stderr).toContain("never overwrites");
  expect(readdirSync(full)).toEqual(["keep"]);
  const empty = tempDir("nexus-backup-empty-");
  dirs.push(empty);
  const existing = backup(dataDir, empty);
  expect(existing.status).toBe(1);
  expect(existing.stderr).toContain("never overwrites");
});
