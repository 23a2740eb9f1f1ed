/**
 * Signed tokens (jose, HS256). Two kinds, told apart by audience so one can never pass as the other:
 *  - access tokens (aud "api", short TTL) in `Authorization: Bearer`;
 *  - WebSocket tickets (aud "ws", 30 s) in socket URLs, so access tokens never land in URLs/logs.
 * Both carry `tv` (the user's token_version); bumping it (admin lock) invalidates every token.
 */
import { jwtVerify, SignJWT, errors as joseErrors } from "jose";
import { NexusError } from "../../protocol/errors.ts";

export type AccountRole = "admin" | "user";

/** Who the authenticated caller is. */
export interface Principal {
  userId: string;
  username: string;
  role: AccountRole;
}

export interface VerifiedToken extends Principal {
  tokenVersion: number;
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

  sign(p: Principal, tokenVersion: number, audience: "api" | "ws", ttlSeconds: number): Promise<string> {
    return new SignJWT({ name: p.username, role: p.role, tv: tokenVersion })
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
      const { sub, name, role, tv } = payload as Record<string, unknown>;
      if (typeof sub !== "string" || typeof name !== "string" || (role !== "admin" && role !== "user") || typeof tv !== "number")
        throw new NexusError("unauthorized", "malformed token");
      return { userId: sub, username: name, role, tokenVersion: tv };
    } catch (e) {
      if (e instanceof NexusError) throw e;
      const expired = e instanceof joseErrors.JWTExpired;
      throw new NexusError("unauthorized", expired ? "token expired" : "invalid token");
    }
  }
}
