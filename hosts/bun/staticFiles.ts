/** Serves the built web client (web/dist); unknown paths get index.html (client-side routes). */
import { existsSync } from "node:fs";
import { join, normalize } from "node:path";
import { CONTENT_SECURITY_POLICY } from "../../edge/middleware/securityHeaders.ts";

export function staticFiles(root: string): (req: Request) => Promise<Response | null> {
  const index = join(root, "index.html");
  return async (req) => {
    if (req.method !== "GET" && req.method !== "HEAD") return null;
    if (!existsSync(index)) return new Response("Nexus API is running; the web client is not built (npm start builds it).", { status: 404 });
    const path = normalize(decodeURIComponent(new URL(req.url).pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = Bun.file(join(root, path));
    const hit = path !== "/" && (await file.exists());
    const res = new Response(hit ? file : Bun.file(index));
    // Hashed assets never change; index.html must always be revalidated.
    res.headers.set("cache-control", hit && path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    res.headers.set("x-content-type-options", "nosniff");
    res.headers.set("x-frame-options", "DENY");
    res.headers.set("referrer-policy", "no-referrer");
    res.headers.set("content-security-policy", CONTENT_SECURITY_POLICY);
    res.headers.set("permissions-policy", "camera=(self), microphone=(self), geolocation=()");
    return res;
  };
}
