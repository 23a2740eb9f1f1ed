/**
 * One error shape for every REST failure: HTTP status + `{ error: { code, message, details? } }`.
 * Known errors keep their code; anything unexpected is logged and reported as a bare 500.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { ErrorCodes, NexusError, isNexusError, type ErrorCode } from "../../protocol/errors.ts";

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** zod issues → "field: message; other: message" plus a machine-readable list. */
export function zodToNexus(err: z.ZodError, where?: string): NexusError {
  const issues = err.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
  return new NexusError("bad_request", where ? `invalid ${where}: ${summary}` : summary, { issues });
}

const statusToCode = (status: number): ErrorCode =>
  (Object.entries(ErrorCodes).find(([, s]) => s === status)?.[0] as ErrorCode | undefined) ?? "internal";

export function toNexusError(err: unknown): NexusError | null {
  if (isNexusError(err)) return err as NexusError;
  if (err instanceof z.ZodError) return zodToNexus(err);
  if (err instanceof HTTPException) {
    if (err.status === 413) return new NexusError("payload_too_large", "request body too large");
    if (err.status >= 500) return null;
    return new NexusError(statusToCode(err.status), err.message || "bad request");
  }
  if (err instanceof SyntaxError) return new NexusError("bad_request", "Malformed JSON in request body");
  return null;
}

export function errorHandler(err: Error, c: Context): Response {
  const known = toNexusError(err);
  if (!known || known.code === "internal") {
    console.error(`[edge] ${c.req.method} ${c.req.path} failed:`, err);
    return c.json(errorBody("internal", "internal error"), 500);
  }
  const retryAfter = known.details?.retryAfter;
  if (typeof retryAfter === "number") c.header("Retry-After", String(Math.max(1, Math.ceil(retryAfter))));
  return c.json(errorBody(known.code, known.message, known.details), known.status as 400);
}

export function notFoundHandler(c: Context): Response {
  return c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404);
}
