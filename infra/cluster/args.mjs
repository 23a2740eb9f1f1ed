/**
 * Command line of infra/cluster/run.mjs, validated: every mistake gets a message saying what to write.
 */
import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";

export const USAGE = `Usage: npm run cluster -- --regions a:2,b:1 [--edge a] [--port 8800] [--data ./data-cluster]

  --regions R:N,...  regions and how many actor-hosting nodes each (N defaults to 1, at most 20);
                     region names are 1-32 chars of a-z 0-9 -. Nodes are named a1, a2, b1, ...
  --edge R[:N],...   also N edge-only nodes (serve clients, own no actors) in region R: a-edge1, ...
  --port P           HTTP port of the first node; the others take the next ones (default 8800)
  --data DIR         logs, the libSQL database, JWT secret, attachments (default ./data-cluster)
  --host H           address the nodes listen on (default 127.0.0.1)
  --name NAME        NEXUS_CLUSTER_NAME, the subject prefix on the bus (default nexus)
  --wan MS           inject MS ms of one-way delay between regions (NATS gateways, the accounts
                     server seen from other regions) with a user-space delaying proxy (default 0)
  --no-install       skip installing what is missing (npm deps, nats-server, redis-server, web build)`;

export class UsageError extends Error {}

const REGION = /^[a-z0-9-]{1,32}$/;

function counts(spec, flag) {
  const out = new Map();
  for (const part of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^:]+)(?::(\d+))?$/.exec(part);
    if (!m) throw new UsageError(`${flag}: "${part}" is not REGION or REGION:COUNT`);
    const [, region, n = "1"] = m;
    if (!REGION.test(region)) throw new UsageError(`${flag}: region "${region}" must be 1-32 chars of a-z 0-9 -`);
    const count = Number(n);
    if (!Number.isInteger(count) || count < 1 || count > 20) throw new UsageError(`${flag}: ${region}:${n}: the count must be 1 to 20`);
    if (out.has(region)) throw new UsageError(`${flag}: region "${region}" is given twice`);
    out.set(region, count);
  }
  if (out.size === 0) throw new UsageError(`${flag} is empty`);
  return out;
}

export function parse(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        regions: { type: "string" },
        edge: { type: "string", multiple: true },
        port: { type: "string", default: "8800" },
        data: { type: "string", default: "./data-cluster" },
        host: { type: "string", default: "127.0.0.1" },
        name: { type: "string", default: "nexus" },
        wan: { type: "string", default: "0" },
        "no-install": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    throw new UsageError(e.message);
  }
  if (values.help) return { help: true };
  if (!values.regions) throw new UsageError("--regions is required, e.g. --regions a:2,b:1");
  const regions = counts(values.regions, "--regions");
  const edges = values.edge ? counts(values.edge.join(","), "--edge") : new Map();
  for (const r of edges.keys())
    if (!regions.has(r)) throw new UsageError(`--edge ${r}: region "${r}" has no actor nodes; list it in --regions too (an edge node forwards to its region's actor nodes)`);
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(values.name)) throw new UsageError("--name: 1-32 chars of A-Z a-z 0-9 _ -");

  const nodes = [];
  for (const [region, n] of regions) {
    const sep = /\d$/.test(region) ? "-" : "";
    for (let i = 1; i <= n; i++) nodes.push({ id: `${region}${sep}${i}`, region, role: "all" });
  }
  for (const [region, n] of edges) for (let i = 1; i <= n; i++) nodes.push({ id: `${region}-edge${i}`, region, role: "edge" });
  const ids = new Set();
  for (const node of nodes) {
    if (ids.has(node.id)) throw new UsageError(`two nodes would be named ${node.id}: rename a region`);
    ids.add(node.id);
  }

  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port < 1 || port + nodes.length - 1 > 65535)
    throw new UsageError(`--port ${values.port}: ${nodes.length} node(s) need ${nodes.length} port(s) from there, within 1-65535`);
  nodes.forEach((node, i) => (node.port = port + i));

  const wanMs = Number(values.wan);
  if (!/^\d+$/.test(values.wan) || wanMs > 2000) throw new UsageError(`--wan ${values.wan}: a one-way delay in whole ms, 0 to 2000`);

  const base = process.env.INIT_CWD ?? process.cwd(); // npm run changes the cwd; paths are the caller's
  const data = isAbsolute(values.data) ? values.data : resolve(base, values.data);
  return { regions: [...regions.keys()], nodes, data, host: values.host, name: values.name, wanMs, install: !values["no-install"] };
}
