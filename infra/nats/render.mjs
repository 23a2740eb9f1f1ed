/**
 * Renders infra/nats/region.conf (syntax in its header): `{{NAME}}` placeholders and
 * `{{#NAME}} … {{/NAME}}` sections. Comment lines are left as they are. A placeholder without a
 * value is an error, so a typo cannot produce a config nats-server half-understands.
 * Plain ESM: used by infra/cluster/run.mjs (Node) and tests/cluster/harness.ts (Bun).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REGION_TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), "region.conf");

/** `template` with every placeholder of `values` filled in; sections kept when their value is set. */
export function renderTemplate(template, values) {
  const set = (name) => values[name] !== undefined && values[name] !== null && values[name] !== "" && values[name] !== false;
  const out = [];
  const open = [];
  for (const line of template.split("\n")) {
    const section = /^\s*\{\{([#/])([A-Z0-9_]+)\}\}\s*$/.exec(line);
    if (section) {
      if (section[1] === "#") open.push(section[2]);
      else if (open.pop() !== section[2]) throw new Error(`template: {{/${section[2]}}} does not close the open section`);
      continue;
    }
    if (open.some((name) => !set(name))) continue;
    if (/^\s*#/.test(line)) {
      out.push(line);
      continue;
    }
    out.push(
      line.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, name) => {
        if (!(name in values)) throw new Error(`template: no value for {{${name}}}`);
        return String(values[name] ?? "");
      }),
    );
  }
  if (open.length) throw new Error(`template: section {{#${open.at(-1)}}} is not closed`);
  return out.join("\n");
}

/**
 * The config of one NATS server of a region. `routes`: cluster URLs of the region's servers (this
 * one included); `gateways`: { region: gateway URL[] } of every region. Both empty → a lone server.
 */
export function renderRegionConfig(o) {
  const routes = o.routes ?? [];
  const gateways = Object.entries(o.gateways ?? {});
  const clustered = routes.length > 1 || gateways.length > 1;
  return renderTemplate(readFileSync(o.template ?? REGION_TEMPLATE, "utf8"), {
    HOST: o.host ?? "127.0.0.1",
    SERVER_NAME: o.serverName ?? `${o.region}-n1`,
    REGION: o.region,
    PORT: o.port,
    MONITOR_PORT: o.monitorPort,
    STORE_DIR: o.storeDir,
    CLUSTERED: clustered ? "yes" : "",
    CLUSTER_PORT: o.clusterPort ?? "",
    ROUTES: routes.map((u) => JSON.stringify(u)).join(", "),
    GATEWAY_PORT: o.gatewayPort ?? "",
    GATEWAY_ADVERTISE: o.gatewayAdvertise ?? "",
    GATEWAYS: gateways.map(([name, urls]) => `{ name: ${JSON.stringify(name)}, urls: ${JSON.stringify([urls].flat())} }`).join(", "),
    EXTRA: o.extra ?? "",
  });
}
