import { AuthResponse, ErrorBody } from "../../../protocol/index.ts";
import { humanError } from "./humanErrors.ts";
import type { Session } from "./session.ts";

/** The server answered with an error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ApiError";
  }
  /** Worth retrying later with the same request (the server or the path to it is struggling). */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 0;
  }
}

/** The request never got an answer (offline, server down, connection reset). */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super(`network: ${String((cause as Error)?.message ?? cause)}`);
    this.name = "NetworkError";
  }
}

export interface RequestOptions {
  body?: unknown;
  auth?: boolean;
  query?: Record<string, string | number | undefined>;
}

/**
 * fetch with the Bearer token, JSON in/out, and one transparent refresh when the access token has
 * expired. Concurrent 401s share a single refresh: the refresh token rotates, and spending it twice
 * would revoke the whole family.
 */
export class Http {
  private refreshing: Promise<boolean> | null = null;

  constructor(
    readonly session: Session,
    readonly base = "",
  ) {}

  url(path: string, query?: RequestOptions["query"]): string {
    const q = query ? Object.entries(query).filter(([, v]) => v !== undefined && v !== "") : [];
    const qs = q.length ? `?${new URLSearchParams(q.map(([k, v]) => [k, String(v)]))}` : "";
    return `${this.base}${path}${qs}`;
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Raw response (attachments); throws ApiError for non-2xx. */
  async send(method: string, path: string, opts: RequestOptions & { raw?: BodyInit; contentType?: string } = {}): Promise<Response> {
    const auth = opts.auth !== false;
    let res = await this.once(method, path, opts, auth);
    if (res.status === 401 && auth && (await this.refresh())) res = await this.once(method, path, opts, auth);
    if (!res.ok) throw await toApiError(res);
    return res;
  }

  /** Exchange the refresh token. false ⇒ the session is over (logged out). */
  refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const s = this.session.current;
      if (!s) return false;
      try {
        const res = await fetch(this.url("/v1/auth/refresh"), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ refreshToken: s.refreshToken }),
        });
        // Revoked, reused, or the account is locked: this session is over.
        if (res.status === 401 || res.status === 403 || res.status === 423) {
          this.session.clear();
          return false;
        }
        if (!res.ok) return false;
        this.session.set(AuthResponse.parse(await res.json()));
        return true;
      } catch {
        return false;
      }
    })().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  authHeader(): Record<string, string> {
    const t = this.session.current?.accessToken;
    return t ? { authorization: `Bearer ${t}` } : {};
  }

  private async once(method: string, path: string, opts: RequestOptions & { raw?: BodyInit; contentType?: string }, auth: boolean): Promise<Response> {
    const headers: Record<string, string> = auth ? this.authHeader() : {};
    let body: BodyInit | undefined;
    if (opts.raw !== undefined) {
      body = opts.raw;
      if (opts.contentType) headers["content-type"] = opts.contentType;
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] = "application/json";
    }
    try {
      return await fetch(this.url(path, opts.query), { method, headers, body });
    } catch (e) {
      throw new NetworkError(e);
    }
  }
}

export async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {}
  const parsed = ErrorBody.safeParse(body);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    return new ApiError(res.status, code, message, details as Record<string, unknown> | undefined);
  }
  return new ApiError(res.status, res.status >= 500 ? "internal" : "http_error", `HTTP ${res.status}`);
}

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return humanError(e.code, e.message, e.details, e.status);
  if (e instanceof NetworkError) return "Cannot reach the server. Check your connection.";
  return e instanceof Error ? e.message : String(e);
}
