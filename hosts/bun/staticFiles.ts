/** Serves the built web client (web/dist); unknown paths get index.html (client-side routes). */
import { existsSync } from "node:fs";
import { join, normalize } from "node:path";
import type { EdgeConfig } from "../../edge/config.ts";
import { baseSecurityHeaders } from "../../edge/middleware/securityHeaders.ts";

export function staticFiles(root: string, config: Pick<EdgeConfig, "corsOrigins">): (req: Request) => Promise<Response | null> {
  const index = join(root, "index.html");
  const headers = baseSecurityHeaders(config);
  return async (req) => {
    if (req.method !== "GET" && req.method !== "HEAD") return null;
    if (!existsSync(index)) return new Response("Nexus API is running; the web client is not built (npm start builds it).", { status: 404 });
    let decoded: string;
    try {
      decoded = decodeURIComponent(new URL(req.url).pathname);
      if (decoded.includes("\0")) throw new URIError("NUL in path");
    } catch {
      // Malformed percent-encoding (`/%E0%A4%A`) or a NUL: the client's fault, not a server error.
      return new Response("bad request: malformed URL encoding", { status: 400, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
    }
    const path = normalize(decoded).replace(/^(\.\.[/\\])+/, "");
    const file = Bun.file(join(root, path));
    const hit = path !== "/" && (await file.exists());
    const res = new Response(hit ? file : Bun.file(index));
    // Hashed assets never change; index.html must always be revalidated.
    res.headers.set("cache-control", hit && path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    for (const [name, value] of Object.entries(headers)) res.headers.set(name, value);
    return res;
  };
}
