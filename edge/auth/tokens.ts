/**
 * Signed tokens (jose, HS256). Two kinds, told apart by audience so one can never pass as the other:
 *  - access tokens (aud "api", short TTL) in `Authorization: Bearer`;
 *  - WebSocket tickets (aud "ws", 30 s) in socket URLs, so access tokens never land in URLs/logs.
 * Both carry `tv` (the user's token_version); bumping it (admin lock) invalidates every token.
 * Both carry `fam`, the refresh-token family (= sign-in session) they were issued under, so a logout
 * ends that session's access tokens too; tickets carry a `jti` so each opens one socket only, and
 * `led` when the host spends tickets in a ledger of its own (AccountServiceOptions.tickets).
 * A third kind, a session's first refresh token (aud "refresh", refreshTokens.ts), is signed only
 * when the host wants sign-ins to write nothing (AccountServiceOptions.firstRefreshSigned).
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
  /** Tickets: the ledger that spends them (ticketLedger.ts), when the host names one. */
  ledger?: string;
}

/** What a signed first refresh token says (refreshTokens.ts). */
export interface SignedRefresh {
  userId: string;
  tokenVersion: number;
  family: string;
  /** When it was issued and when it expires, ms. */
  issuedAt: number;
  expiresAt: number;
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

  sign(p: Principal, tokenVersion: number, audience: "api" | "ws", ttlSeconds: number, jti?: string, ledger?: string): Promise<string> {
    const jwt = new SignJWT({ name: p.username, role: p.role, tv: tokenVersion, ...(p.family ? { fam: p.family } : {}), ...(ledger ? { led: ledger } : {}) });
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
      const { sub, name, role, tv, fam, jti, led } = payload as Record<string, unknown>;
      if (typeof sub !== "string" || typeof name !== "string" || (role !== "admin" && role !== "user") || typeof tv !== "number")
        throw new NexusError("unauthorized", "malformed token");
      if ((fam !== undefined && typeof fam !== "string") || (jti !== undefined && typeof jti !== "string") || (led !== undefined && typeof led !== "string"))
        throw new NexusError("unauthorized", "malformed token");
      return { userId: sub, username: name, role, tokenVersion: tv, family: fam as string | undefined, jti: jti as string | undefined,
        ...(led !== undefined ? { ledger: led as string } : {}) };
    } catch (e) {
      if (e instanceof NexusError) throw e;
      const expired = e instanceof joseErrors.JWTExpired;
      throw new NexusError("unauthorized", expired ? "token expired" : "invalid token");
    }
  }

  /** A session's first refresh token: the store holds nothing of it until its first use (refreshTokens.ts). */
  signRefresh(r: Omit<SignedRefresh, "issuedAt" | "expiresAt">, ttlSeconds: number): Promise<string> {
    return new SignJWT({ tv: r.tokenVersion, fam: r.family })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(r.userId)
      .setIssuer(ISSUER)
      .setAudience("refresh")
      .setIssuedAt(Math.floor(this.now() / 1000))
      .setExpirationTime(Math.floor(this.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }

  /** The claims of a first refresh token whose signature is valid, expired or not (a spent one
   *  presented again after its expiry still reveals a leak: refreshTokens.ts), else null. */
  async verifyRefresh(token: string): Promise<SignedRefresh | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: "refresh",
        algorithms: ["HS256"],
        currentDate: new Date(this.now()),
        clockTolerance: ACCEPT_EXPIRED_SECONDS, // expiry is the caller's check (expiresAt)
      });
      const { sub, tv, fam, iat, exp } = payload;
      if (typeof sub !== "string" || typeof tv !== "number" || typeof fam !== "string" || typeof iat !== "number" || typeof exp !== "number") return null;
      return { userId: sub, tokenVersion: tv, family: fam, issuedAt: iat * 1000, expiresAt: exp * 1000 };
    } catch {
      return null;
    }
  }
}

/** verifyRefresh accepts signatures of expired tokens up to this long ago (ten years). */
const ACCEPT_EXPIRED_SECONDS = 10 * 365 * 86_400;
