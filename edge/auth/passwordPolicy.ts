/**
 * Which passwords an account may have (issue #18 item 11), checked at registration and by any
 * future password change: at least 8 characters (also in protocol/rest.ts), not only whitespace,
 * not containing the username, and not one of the most common passwords (commonPasswords.ts).
 * A refusal is 400 `bad_request` whose message names the reason; `details.reason` is for clients.
 */
import { NexusError } from "../../protocol/errors.ts";
import { COMMON_PASSWORDS_TEXT } from "./commonPasswords.ts";

export const MIN_PASSWORD_LENGTH = 8;

export type PasswordProblem = "too_short" | "whitespace" | "contains_username" | "common";

/** Built on first use: ~3,500 entries, so an isolate that never registers anyone never pays. */
let common: Set<string> | undefined;

/** Why `password` is refused for `username`, or null when it is acceptable. */
export function passwordProblem(password: string, username: string): { reason: PasswordProblem; message: string } | null {
  // Code points, not UTF-16 units: "🔑🔑🔑🔑" is four characters to a person.
  if ([...password].length < MIN_PASSWORD_LENGTH)
    return { reason: "too_short", message: `password: at least ${MIN_PASSWORD_LENGTH} characters` };
  if (password.trim() === "") return { reason: "whitespace", message: "password: must not be only spaces" };
  const lower = password.toLowerCase();
  if (username !== "" && lower.includes(username.toLowerCase()))
    return { reason: "contains_username", message: "password: must not contain the username" };
  common ??= new Set(COMMON_PASSWORDS_TEXT.split("\n"));
  if (common.has(lower) || common.has(lower.trim()))
    return { reason: "common", message: "password: one of the most common passwords; choose another" };
  return null;
}

/** Throws 400 `bad_request` naming the reason. */
export function assertAcceptablePassword(password: string, username: string): void {
  const problem = passwordProblem(password, username);
  if (problem)
    throw new NexusError("bad_request", `invalid body: ${problem.message}`, {
      reason: problem.reason,
      issues: [{ path: "password", message: problem.message.replace(/^password: /, "") }],
    });
}
