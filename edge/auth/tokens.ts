/**
 * Signed tokens (jose, HS256). Two kinds, told apart by audience so one can never pass as the other:
 *  - access tokens (aud "api", short TTL) in `Authorization: Bearer`;
 *  - WebSocket tickets (aud "ws", 30 s) in socket URLs, so access tokens never land in URLs/logs.
 * Both carry `tv` (the user's token_version); bumping it (admin lock) invalidates every token.
 * Both carry `fam`, the refresh-token family (= sign-in session) they were issued under, so a logout
 * ends that session's access tokens too; tickets carry a `jti` so each opens one socket only.
 */
import { jwtVerify, SignJWT, errors as joseErrors } from "jose";
import { NexusError } from "../../protocol/errors.ts";

export type AccountRole = "admin" | "user";

/** Who the authenticated caller is. */
export interface Principal {
  userId: string;
  username: string;
  role: AccountRole;
  /** The sign-in session (refresh family) the token belongs to; tickets issued from it inherit it. */
  family?: string;
}

export interface VerifiedToken extends Principal {
  tokenVersion: number;
  /** Tickets: their single-use id. */
  jti?: string;
}

const ISSUER = "nexus";
export const TICKET_TTL_SECONDS = 30;

export class TokenSigner {
  private readonly key: Uint8Array;

  /** `now` (ms) is injectable so expiry can be tested without waiting. */
  constructor(
    secret: string,
    private readonly now: () => number = Date.now,
  ) {
    if (secret.length < 32) throw new Error("JWT secret must be at least 32 characters (set JWT_SECRET)");
    this.key = new TextEncoder().encode(secret);
  }

  sign(p: Principal, tokenVersion: number, audience: "api" | "ws", ttlSeconds: number, jti?: string): Promise<string> {
    const jwt = new SignJWT({ name: p.username, role: p.role, tv: tokenVersion, ...(p.family ? { fam: p.family } : {}) });
    if (jti) jwt.setJti(jti);
    return jwt
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(p.userId)
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setIssuedAt(Math.floor(this.now() / 1000))
      .setExpirationTime(Math.floor(this.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }

  /** Throws NexusError("unauthorized") on anything but a valid, unexpired token of `audience`. */
  async verify(token: string, audience: "api" | "ws"): Promise<VerifiedToken> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience,
        algorithms: ["HS256"],
        currentDate: new Date(this.now()),
      });
      const { sub, name, role, tv, fam, jti } = payload as Record<string, unknown>;
      if (typeof sub !== "string" || typeof name !== "string" || (role !== "admin" && role !== "user") || typeof tv !== "number")
        throw new NexusError("unauthorized", "malformed token");
      if ((fam !== undefined && typeof fam !== "string") || (jti !== undefined && typeof jti !== "string"))
        throw new NexusError("unauthorized", "malformed token");
      return { userId: sub, username: name, role, tokenVersion: tv, family: fam as string | undefined, jti: jti as string | undefined };
    } catch (e) {
      if (e instanceof NexusError) throw e;
      const expired = e instanceof joseErrors.JWTExpired;
      throw new NexusError("unauthorized", expired ? "token expired" : "invalid token");
    }
  }
}
