/**
 * Password hashing. scrypt (memory-hard) from node:crypto, which Bun and workerd (nodejs_compat)
 * both provide. Encoded as `scrypt$N$r$p$salt$hash` (base64) so parameters can change later
 * without breaking stored hashes.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import type { PasswordHasher } from "../../edge/auth/passwordHasher.ts";

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keyLen: number;
}

/** N=2^14, r=8, p=1: ~16 MiB and tens of ms per hash — OWASP's minimum for scrypt. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 14, r: 8, p: 1, keyLen: 32 };

function derive(password: string, salt: Buffer, { N, r, p, keyLen }: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, keyLen, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export class ScryptHasher implements PasswordHasher {
  constructor(private readonly params: ScryptParams = DEFAULT_SCRYPT) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await derive(password, salt, this.params);
    const { N, r, p } = this.params;
    return `scrypt$${N}$${r}$${p}$${salt.toString("base64")}$${key.toString("base64")}`;
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    const parts = encoded.split("$");
    if (parts.length !== 6 || parts[0] !== "scrypt") return false;
    const [N, r, p] = parts.slice(1, 4).map(Number);
    // Refuse absurd stored parameters instead of burning memory on them.
    if (!(N! >= 2 && N! <= 1 << 20 && r! >= 1 && r! <= 32 && p! >= 1 && p! <= 16)) return false;
    const salt = Buffer.from(parts[4]!, "base64");
    const expected = Buffer.from(parts[5]!, "base64");
    if (expected.length < 16) return false;
    const key = await derive(password, salt, { N: N!, r: r!, p: p!, keyLen: expected.length });
    return timingSafeEqual(key, expected);
  }
}
