/**
 * zod validation for routes. `validate("json", Schema)` as route middleware, then
 * `c.req.valid("json")` in the handler is typed. Failures are 400 `bad_request` naming each field,
 * raised before the handler runs, so invalid input never has a side effect.
 */
import type { Context } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import { NexusError } from "../../protocol/errors.ts";
import { zodToNexus } from "./errors.ts";

type Target = "json" | "query" | "param" | "header";

/** Parse `value` or throw NexusError("bad_request") with a readable summary. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw zodToNexus(r.error, where);
  return r.data;
}

/** Body as JSON whatever the Content-Type says (fetch with a string body sends text/plain); empty = {}. */
async function readJson(c: Context, alreadyParsed: unknown): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (/^application\/([\w.-]+\+)?json/i.test(type)) return alreadyParsed;
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new NexusError("bad_request", "Malformed JSON in request body");
  }
}

export function validate<T extends Target, S extends z.ZodType>(target: T, schema: S) {
  return validator(target, async (value, c): Promise<z.output<S>> => {
    const input = target === "json" ? await readJson(c, value) : value;
    return parse(schema, input, target === "json" ? "body" : target);
  });
}
