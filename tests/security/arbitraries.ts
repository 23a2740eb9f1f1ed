/**
 * fast-check arbitraries for the fuzz suite, derived from the protocol's zod schemas (through
 * zod's JSON Schema export, so a field added to a schema is fuzzed without touching this file):
 * valid values, near-valid ones (one field missing, wrong or extra) and garbage, with the strings
 * that break naive code: NUL, lone surrogates, RTL overrides, ZWJ emoji, U+FFFF, huge and deeply
 * nested values, and prototype keys.
 */
import fc from "fast-check";
import { z } from "zod";

/** Strings chosen to break storage, encoders and parsers (item 1 of issue #18 and friends). */
export const NASTY_STRINGS = [
  "a\u0000b",
  "\u0000",
  "a\ud800b",
  "\udc00",
  "\ud83d",
  "\u202eevil\u202c",
  "\u200f\u05e9\u05dc\u05d5\u05dd",
  "👩‍👩‍👧‍👦",
  "🏳️‍🌈x",
  "\uffff",
  "\ufffe\ufeff",
  "e\u0301\u0301\u0301",
  " ",
  "\t\n\r",
  "<script>alert(1)</script>",
  "'; DROP TABLE users; --",
  "%00%E0%A4%A",
  "../../etc/passwd",
  "${jndi:ldap://x}",
  "\\u0000",
] as const;

/** Any string, weighted towards the dangerous ones; up to a few thousand chars. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...NASTY_STRINGS), fc.integer({ min: 100, max: 3000 })).map(([s, n]) => s.repeat(n).slice(0, 3 * n)) },
);

/** Keys that reach Object.prototype when code merges objects carelessly. */
export const PROTO_KEYS = ["__proto__", "constructor", "prototype"] as const;

/** An object with `key` as an own enumerable property, even for "__proto__" (so JSON.stringify sends it). */
export function withKey(obj: object, key: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
  return out;
}

/** Arrays or objects nested `depth` deep (JSON parsers and validators that recurse). */
const deep = fc.tuple(fc.integer({ min: 50, max: 3000 }), fc.boolean()).map(([depth, arr]) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = arr ? [v] : { a: v };
  return v;
});

/** Any JSON value, including huge, deeply nested and prototype-polluting ones. */
export const garbageValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, "", [], {}) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.integer({ min: 70_000, max: 200_000 }).map((n) => "x".repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => Array.from({ length: n }, (_, i) => i)) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS).map((k) => withKey({}, k, { admin: true, role: "admin", polluted: 1 })) },
);

// ---- JSON Schema (from zod) → valid values --------------------------------------------------

type JsonSchema = {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
};

export const jsonSchemaOf = (schema: z.ZodType): JsonSchema =>
  z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;

/** Strings within the schema's length and pattern; unconstrained ones are nasty. */
function stringArb(s: JsonSchema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 4000, 4000);
  if (s.pattern) return fc.stringMatching(new RegExp(s.pattern), { size: "small" }).filter((v) => v.length >= min && v.length <= max);
  return fc.oneof(nastyString, fc.string({ minLength: min, maxLength: Math.min(max, 60) })).filter((v) => v.length >= min && v.length <= max);
}

/** Integers in range, mostly small (seqs and limits that exist), sometimes at the edges. */
function intArb(s: JsonSchema): fc.Arbitrary<number> {
  const min = s.minimum ?? Number.MIN_SAFE_INTEGER;
  const max = s.maximum ?? Number.MAX_SAFE_INTEGER;
  const low = Math.max(min, 0);
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: low, max: Math.min(max, low + 30) }) },
    { weight: 1, arbitrary: fc.constantFrom(min, max) },
    { weight: 1, arbitrary: fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) }) },
  );
}

/** A value the schema accepts (mostly: patterns with lengths are filtered, not constructed). */
export function validArb(s: JsonSchema): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.oneOf ?? s.anyOf;
  if (alts) return fc.oneof(...alts.map(validArb));
  switch (s.type) {
    case "object": {
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) model[k] = validArb(v);
      const requiredKeys = Object.keys(props).filter((k) => required.has(k));
      return fc.record(model, { requiredKeys });
    }
    case "string":
      return stringArb(s);
    case "integer":
      return intArb(s);
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: s.minimum, max: s.maximum });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(s.items ? validArb(s.items) : fc.jsonValue(), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, 5) });
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** One field of a valid object removed, replaced by garbage, or an extra (possibly prototype) key added. */
export function nearValid(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(valid, fc.nat(), fc.constantFrom("drop", "wrong", "extra"), garbageValue, fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 8 })))
    .map(([v, pick, how, junk, extraKey]) => {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return junk;
      const keys = Object.keys(v);
      if (how === "extra" || keys.length === 0) return withKey(v, extraKey, junk);
      const key = keys[pick % keys.length]!;
      const out: Record<string, unknown> = { ...v };
      if (how === "drop") delete out[key];
      else out[key] = junk;
      return out;
    });
}

/**
 * Valid, near-valid and garbage inputs for a schema, about 3:3:1. `overrides` replace generated
 * fields in three objects out of four (undefined removes the field), so that writes can refer to
 * what exists (real usernames, no dangling replyTo) and some of them get accepted.
 */
export function inputsFor(schema: z.ZodType, overrides?: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const valid = validArb(jsonSchemaOf(schema));
  const all = fc.oneof({ weight: 3, arbitrary: valid }, { weight: 3, arbitrary: nearValid(valid) }, { weight: 1, arbitrary: garbageValue });
  if (!overrides) return all;
  return fc.tuple(all, fc.record(overrides), fc.nat(3)).map(([v, o, dice]) => {
    if (dice === 0 || !v || typeof v !== "object" || Array.isArray(v)) return v;
    const out: Record<string, unknown> = { ...v };
    for (const [k, x] of Object.entries(o)) if (x === undefined) delete out[k];
      else out[k] = x;
    return out;
  });
}

/** Raw frame text: the JSON of an input, or bytes that are not JSON at all. */
export const rawGarbageText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", "{", "null", "[]", "{\"t\":", "\u0000", "{\"t\":\"send\",\"text\":\"\ud800\"", "x".repeat(20_000)),
  nastyString,
);

/** Percent-encode a path segment without throwing on lone surrogates (they become U+FFFD bytes). */
export function pathSegment(s: string): string {
  return Array.from(new TextEncoder().encode(s), (b) => (/[A-Za-z0-9_-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0")}`)).join("");
}

/**
 * Run settings: fixed seed by default (FUZZ_SEED varies it), offset per property so properties do
 * not all draw the same sequence; FUZZ_RUNS sets runs per property. Failures are reported with the
 * counterexample cut short (generated values can be 200 KB).
 */
export function fuzzParams(defaultRuns: number, name: string): fc.Parameters<unknown> {
  let h = 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  const base = Number(process.env.FUZZ_SEED ?? 182_026);
  return {
    seed: (base + h) | 0,
    numRuns: Number(process.env.FUZZ_RUNS ?? defaultRuns),
    // Shrinking replays requests against a live server: slow, so opt in (FUZZ_SHRINK=1).
    endOnFailure: process.env.FUZZ_SHRINK !== "1",
    reporter(out) {
      if (!out.failed) return;
      const example = fc.stringify(out.counterexample).slice(0, 600);
      const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
      throw new Error(`${name}: property failed (FUZZ_SEED=${base}, seed ${out.seed}, path ${out.counterexamplePath}) on ${example}\n${cause.slice(0, 2000)}`);
    },
  };
}
