/**
 * The test client library: real HTTP (fetch) and real WebSockets against a running Nexus server.
 *
 *   const nx = new Nexus(target.url);
 *   const alice = await nx.register("alice");           // { token, user, api(), ticket(), … }
 *   const res = await alice.api("POST", "/v1/conversations", { title: "t", members: ["bob"] });
 *   const sock = await alice.openConversation(res.body.id);
 *   const welcome = await sock.welcome();
 *
 * Every socket opened through a Nexus instance is remembered so a suite can close them all after
 * each test (`closeAll`) and check that no frame broke the protocol (`protocolErrors`).
 */
import { TestSocket } from "./socket.ts";

export { TestSocket, newClientId, type Frame, type CloseInfo } from "./socket.ts";

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
}

export const DEFAULT_PASSWORD = "correct-horse-battery-9";

let nameCounter = 0;
/** A unique valid username starting with `prefix` (3-32 chars of a-z 0-9 _ . -). */
export function uniqueName(prefix = "user"): string {
  nameCounter++;
  const suffix = `${Date.now().toString(36).slice(-5)}${nameCounter}${Math.random().toString(36).slice(2, 5)}`;
  return `${prefix.toLowerCase().replace(/[^a-z0-9_.-]/g, "").slice(0, 18)}_${suffix}`.slice(0, 32);
}

export class Nexus {
  readonly sockets: TestSocket[] = [];

  /** Mutable: a restarted target may come back on another port. */
  constructor(public baseUrl: string) {}

  /** Plain HTTP request; JSON in and (when parseable) JSON out. Never throws on HTTP errors. */
  async request(method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (token) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
    if (body !== undefined) {
      if (typeof body === "string" || body instanceof Uint8Array || body instanceof ArrayBuffer) init.body = body as any;
      else {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)["content-type"] = "application/json";
      }
    }
    const res = await fetch(new URL(path, this.baseUrl), init);
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed, text };
  }

  /** Register a new account (`username` is made unique unless `exact`). */
  async register(username = "user", opts: { exact?: boolean; password?: string } = {}): Promise<Session> {
    const name = opts.exact ? username : uniqueName(username);
    const password = opts.password ?? DEFAULT_PASSWORD;
    const res = await this.request("POST", "/v1/auth/register", { username: name, password });
    if (res.status !== 201) throw new Error(`register ${name}: expected 201, got ${res.status} ${res.text.slice(0, 300)}`);
    return new Session(this, res.body.user, res.body.accessToken, res.body.refreshToken, password);
  }

  async login(username: string, password = DEFAULT_PASSWORD): Promise<Session> {
    const res = await this.request("POST", "/v1/auth/login", { username, password });
    if (res.status !== 200) throw new Error(`login ${username}: expected 200, got ${res.status} ${res.text.slice(0, 300)}`);
    return new Session(this, res.body.user, res.body.accessToken, res.body.refreshToken, password);
  }

  /** ws:// URL for a path on this server. */
  wsUrl(path: string): string {
    const u = new URL(path, this.baseUrl);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    return u.toString();
  }

  openSocket(path: string, userId?: string): TestSocket {
    const s = new TestSocket(this.wsUrl(path), userId);
    this.sockets.push(s);
    return s;
  }

  /** Close every socket opened through this instance. */
  async closeAll(): Promise<void> {
    await Promise.all(this.sockets.map((s) => s.close().catch(() => undefined)));
    this.sockets.length = 0;
  }

  /** Protocol violations seen on any socket opened through this instance. */
  protocolErrors(): { url: string; raw: string; error: string }[] {
    return this.sockets.flatMap((s) => s.protocolErrors.map((e) => ({ url: s.url, ...e })));
  }
}

export interface PublicUser {
  id: string;
  username: string;
  role: "admin" | "user";
  createdAt: number;
}

/** A signed-in user. */
export class Session {
  constructor(
    readonly nexus: Nexus,
    readonly user: PublicUser,
    public token: string,
    public refreshToken: string,
    readonly password: string,
  ) {}

  get id(): string {
    return this.user.id;
  }
  get username(): string {
    return this.user.username;
  }

  api<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.nexus.request(method, path, body, this.token);
  }

  /** Like `api` but throws (with the response) unless the status is `expect`. */
  async must<T = any>(method: string, path: string, body?: unknown, expect = 200): Promise<T> {
    const res = await this.api<T>(method, path, body);
    if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status} ${res.text.slice(0, 300)}`);
    return res.body;
  }

  /** A short-lived socket ticket (POST /v1/ws-ticket). */
  async ticket(): Promise<string> {
    const body = await this.must<{ ticket: string }>("POST", "/v1/ws-ticket");
    return body.ticket;
  }

  /** Open a conversation socket; resume with `after` (+ `epoch`). */
  async openConversation(id: string, resume: { after?: number; epoch?: string } = {}): Promise<TestSocket> {
    const q = new URLSearchParams({ ticket: await this.ticket() });
    if (resume.after !== undefined) q.set("after", String(resume.after));
    if (resume.epoch !== undefined) q.set("epoch", resume.epoch);
    return this.nexus.openSocket(`/v1/ws/conversations/${encodeURIComponent(id)}?${q}`, this.user.id);
  }

  /** Open a conversation socket and wait for its welcome frame. */
  async join(id: string, resume: { after?: number; epoch?: string } = {}): Promise<{ sock: TestSocket; welcome: any }> {
    const sock = await this.openConversation(id, resume);
    const welcome = await sock.welcome();
    return { sock, welcome };
  }

  async openInbox(): Promise<TestSocket> {
    const q = new URLSearchParams({ ticket: await this.ticket() });
    return this.nexus.openSocket(`/v1/ws/inbox?${q}`);
  }

  /** Create a group with these members (by session); the caller is its admin. */
  async createGroup(title: string, members: Session[]): Promise<any> {
    return this.must("POST", "/v1/conversations", { title, members: members.map((m) => m.username) }, 201);
  }

  async createDirect(other: Session): Promise<any> {
    return this.must("POST", "/v1/conversations/direct", { username: other.username });
  }

  /** Every event of a conversation, oldest first, read through REST history paging. */
  async fullHistory(id: string, pageSize = 200): Promise<any[]> {
    const pages: any[][] = [];
    let before: number | undefined;
    for (let guard = 0; guard < 10_000; guard++) {
      const q = new URLSearchParams({ limit: String(pageSize) });
      if (before !== undefined) q.set("before", String(before));
      const page = await this.must<{ events: any[]; hasMore: boolean }>("GET", `/v1/conversations/${id}/messages?${q}`);
      pages.unshift(page.events);
      if (!page.hasMore || page.events.length === 0) break;
      before = page.events[0].seq;
    }
    return pages.flat();
  }
}
