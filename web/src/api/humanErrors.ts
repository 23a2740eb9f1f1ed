/**
 * Server errors in words for people. The server's `message` is written for developers ("invalid
 * body: username: username: 3-32 chars of a-z 0-9 _ . -"); the client switches on `code` (and on
 * `details` where the server names the field or reason) and falls back to the message made into
 * a plain sentence. One wording everywhere: sentence case, full stop.
 */

const PASSWORD_REASONS: Record<string, string> = {
  too_short: "The password needs at least 8 characters.",
  whitespace: "The password cannot be only spaces.",
  contains_username: "The password must not contain the username.",
  common: "That password is one of the most common ones. Choose another.",
  wrong_password: "The current password is wrong.",
  same_password: "The new password must differ from the current one.",
  last_admin: "You are the only admin: make someone else an admin before deleting your account.",
};

const FIELDS: Record<string, string> = {
  username: "Usernames are 3 to 32 characters: lowercase letters, digits, and _ . -",
  password: "The password needs at least 8 characters.",
  title: "The title must be 1 to 100 characters.",
};

const BY_CODE: Record<string, string> = {
  invalid_credentials: "Wrong username or password.",
  unauthorized: "Your session has ended. Log in again.",
  forbidden: "You are not allowed to do that.",
  not_member: "You are not a member of this conversation any more.",
  account_locked: "This account is locked.",
  password_change_required: "Choose a new password to continue.",
  payload_too_large: "That is too large to send.",
  storage_unavailable: "The server cannot save right now. Try again in a moment.",
  unavailable: "The server is busy. Try again in a moment.",
  internal: "Something went wrong on the server. Try again in a moment.",
};

/** "no user named carl" → "No user named carl." */
export function sentence(raw: string): string {
  const s = raw.replace(/^invalid (body|query|param|header): /, "").trim();
  if (!s) return "Something went wrong.";
  const first = s[0]!.toUpperCase() + s.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

export function humanError(code: string, message: string, details?: Record<string, unknown>, status = 0): string {
  // A reason the server names (any code: a wrong current password is 403, the last admin 409).
  const reason = typeof details?.reason === "string" ? PASSWORD_REASONS[details.reason] : undefined;
  if (reason) return reason;
  if (code === "bad_request") {
    const issues = Array.isArray(details?.issues) ? (details.issues as { path?: unknown }[]) : [];
    for (const i of issues) {
      const field = typeof i.path === "string" ? FIELDS[i.path.split(".")[0]!] : undefined;
      if (field) return field.endsWith("-") || field.endsWith(".") ? field : `${field}.`;
    }
    return sentence(message);
  }
  if (code === "rate_limited") {
    const wait = Number(details?.retryAfter);
    return Number.isFinite(wait) && wait > 0 ? `Too many attempts. Wait ${Math.ceil(wait)} s and try again.` : "Too many attempts. Wait a moment and try again.";
  }
  if (BY_CODE[code]) return BY_CODE[code]!;
  if (status >= 500) return BY_CODE.internal!;
  return sentence(message);
}
