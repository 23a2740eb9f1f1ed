/** On one node the JWT secret may be generated once and kept in DATA_DIR (mode 0600). */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function ensureJwtSecret(dataDir: string, configured: string): string {
  if (configured) return configured;
  const file = join(dataDir, "jwt-secret");
  if (existsSync(file)) {
    const s = readFileSync(file, "utf8").trim();
    if (s.length >= 32) return s;
    throw new Error(`${file} holds a secret shorter than 32 characters; delete it or set JWT_SECRET`);
  }
  const s = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
  writeFileSync(file, s + "\n", { mode: 0o600 });
  return s;
}
