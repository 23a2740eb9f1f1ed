/**
 * Every error Nexus reports, on REST (`{ error: { code, message } }`) and on sockets
 * (`{ t: "error", code, message, clientId? }`). Clients switch on `code`; `message` is for people.
 */
export const ErrorCodes = {
  bad_request: 400,
  invalid_credentials: 401,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  account_locked: 423,
  /** Login with a temporary password an admin set: send it again with `newPassword`. */
  password_change_required: 403,
  payload_too_large: 413,
  rate_limited: 429,
  storage_unavailable: 503,
  /** Cluster mode: the node that owns the conversation cannot be reached right now; retry. */
  unavailable: 503,
  not_member: 403,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** Thrown anywhere in edge or actors; hosts turn it into an error body or frame. */
export class NexusError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "NexusError";
  }
  get status(): number {
    return ErrorCodes[this.code];
  }
}

export const isNexusError = (e: unknown): e is NexusError =>
  e instanceof NexusError || (typeof e === "object" && e !== null && (e as any).name === "NexusError");

/** Socket close codes (4000-4999 are ours). A client resumes after all but 4001/4003/4004. */
export const CloseCodes = {
  normal: 1000,
  /** The sign-in session the socket was opened from ended (logout, "log out everywhere", a revoked
   *  refresh family): do not reconnect with it; sign in again. */
  signedOut: 4001,
  /** Removed from the conversation or account locked: do not reconnect. */
  forbidden: 4003,
  notFound: 4004,
  /** Could not keep up (send buffer over the limit): reconnect and resume. */
  slowConsumer: 4008,
  /** Frame rules broken repeatedly. */
  policy: 4009,
  /** Host restarting or actor moving: reconnect and resume. */
  goingAway: 1001,
  /** The server failed to attach the socket (a bug or a storage fault): reconnect later. */
  internal: 1011,
  /** Service restart (RFC 6455 1012): the actor moved or a node went away; reconnect at once. */
  restart: 1012,
} as const;
