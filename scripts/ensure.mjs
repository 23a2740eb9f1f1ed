#!/usr/bin/env node
/**
 * Installs what is missing, and nothing else. Idempotent and fast when everything is in place.
 *
 *   node scripts/ensure.mjs            npm dependencies + Debian packages the tests need
 *   node scripts/ensure.mjs --npm      npm dependencies only (what `npm start` needs)
 *
 * npm: `npm ci` when node_modules is missing; when package.json / package-lock.json changed since the
 * last install (a hash stamp in node_modules), an incremental `npm install` unless every locked
 * package is already installed at its locked version.
 * Debian: nats-server, redis-server, chromium and coturn (the calls' TURN relay test) when their
 * binaries are missing (`apt-get update` first; sudo only when not root).
 * Also exports `ensureNpm`, `ensureSystemPackages` and `ensureWebBuild` for start.mjs and test.mjs.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const STAMP = join(ROOT, "node_modules", ".nexus-install-stamp");

const log = (msg) => console.error(`[ensure] ${msg}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", ...opts });
  if (r.error) return { ok: false, why: r.error.message };
  return { ok: r.status === 0, why: `exit code ${r.status}` };
}

function manifestHash() {
  const h = createHash("sha256");
  for (const f of ["package.json", "package-lock.json"]) {
    const p = join(ROOT, f);
    if (existsSync(p)) h.update(f).update(readFileSync(p));
  }
  return h.digest("hex");
}

/** Every non-optional package of the lockfile is installed at its locked version. */
function lockSatisfied() {
  const lockPath = join(ROOT, "package-lock.json");
  if (!existsSync(lockPath)) return false;
  const lock = JSON.parse(readFileSync(lockPath, "utf8"));
  // A dependency added to package.json by hand is not in the lockfile yet: that needs an install.
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  for (const name of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })) {
    if (!lock.packages?.[`node_modules/${name}`]) return false;
  }
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (!path.startsWith("node_modules/") || entry.optional || entry.link) continue;
    const pj = join(ROOT, path, "package.json");
    if (!existsSync(pj)) return false;
    try {
      if (entry.version && JSON.parse(readFileSync(pj, "utf8")).version !== entry.version) return false;
    } catch {
      return false;
    }
  }
  return true;
}

export function ensureNpm() {
  const hash = manifestHash();
  const hasModules = existsSync(join(ROOT, "node_modules"));
  if (hasModules && existsSync(STAMP) && readFileSync(STAMP, "utf8").trim() === hash) return;
  const hasLock = existsSync(join(ROOT, "package-lock.json"));
  if (hasModules && lockSatisfied()) {
    writeFileSync(STAMP, hash);
    return;
  }
  const args = !hasModules && hasLock ? ["ci"] : ["install"];
  log(`node_modules ${hasModules ? "is out of date" : "is missing"}: npm ${args.join(" ")}`);
  const r = run(process.platform === "win32" ? "npm.cmd" : "npm", [...args, "--no-audit", "--no-fund"]);
  if (!r.ok) throw new Error(`npm ${args[0]} failed (${r.why}); fix the error above and run it again`);
  writeFileSync(STAMP, manifestHash());
}

/** Debian package → the binary it provides (looked up on PATH plus sbin dirs). */
const SYSTEM_PACKAGES = { "nats-server": "nats-server", "redis-server": "redis-server", chromium: "chromium", coturn: "turnserver" };
const SEARCH = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"];

function hasBinary(name) {
  return SEARCH.some((dir) => dir && existsSync(join(dir, name)));
}

/** Installs the Debian packages the tests need, or only the `only` ones (e.g. the bench and the
 *  local cluster need nats-server and redis-server, not chromium). */
export function ensureSystemPackages(only = Object.keys(SYSTEM_PACKAGES)) {
  const missing = Object.entries(SYSTEM_PACKAGES)
    .filter(([pkg, bin]) => only.includes(pkg) && !hasBinary(bin))
    .map(([pkg]) => pkg);
  if (missing.length === 0) return;
  log(`missing: ${missing.join(", ")}; installing with apt-get`);
  if (!hasBinary("apt-get")) {
    throw new Error(`apt-get not found. Install ${missing.join(", ")} with your package manager, then run this again.`);
  }
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot && !hasBinary("sudo")) {
    throw new Error(`not root and sudo not found. As root run: apt-get update && apt-get install -y ${missing.join(" ")}`);
  }
  const asRoot = (args) => (isRoot ? run("apt-get", args, { env: aptEnv() }) : run("sudo", ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", ...args]));
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", ...missing]]) {
    const r = asRoot(args);
    if (!r.ok) {
      throw new Error(
        `apt-get ${args[0]} failed (${r.why}). Install them yourself: ` +
          `${isRoot ? "" : "sudo "}apt-get update && ${isRoot ? "" : "sudo "}apt-get install -y ${missing.join(" ")}`,
      );
    }
  }
  const still = missing.filter((pkg) => !hasBinary(SYSTEM_PACKAGES[pkg]));
  if (still.length) throw new Error(`installed, but still no binary for: ${still.join(", ")}`);
}

function aptEnv() {
  return { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Build web/dist when it is missing or older than its sources; skip (with a message) without a config. */
export function ensureWebBuild() {
  const config = join(ROOT, "web", "vite.config.ts");
  if (!existsSync(config)) {
    log("web/vite.config.ts not found: skipping the web client build");
    return;
  }
  const dist = join(ROOT, "web", "dist");
  const sources = Math.max(
    newestMtime(join(ROOT, "web", "src")),
    newestMtime(join(ROOT, "web", "index.html")),
    newestMtime(join(ROOT, "web", "public")),
    newestMtime(config),
  );
  if (existsSync(join(dist, "index.html")) && newestMtime(dist) >= sources) return;
  log("building the web client (web/dist)");
  const vite = join(ROOT, "node_modules", ".bin", "vite");
  const r = run(vite, ["build", "--config", "web/vite.config.ts"]);
  if (!r.ok) throw new Error(`web build failed (${r.why})`);
}

const invokedDirectly = process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (invokedDirectly) {
  try {
    ensureNpm();
    if (!process.argv.includes("--npm")) ensureSystemPackages();
    log("everything is in place");
  } catch (e) {
    console.error(`[ensure] ${e.message}`);
    process.exit(1);
  }
}
