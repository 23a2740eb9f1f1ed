import { z } from "zod";

/**
 * Strings Nexus stores must read back exactly as they were acknowledged. Two kinds of string do
 * not survive storage: U+0000 (SQLite's C API cuts TEXT at it, so history returned "a" for "a\0b")
 * and unpaired UTF-16 surrogates (they have no UTF-8 form: the driver writes U+FFFD instead). Both
 * are refused before anything is acked, by every schema of a stored string, so sockets, REST and
 * every host answer the same (`bad_request`).
 */
// Without the `u` flag a regex sees UTF-16 code units, which is what a lone surrogate is.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether `s` can be stored and read back unchanged. */
export const isStorable = (s: string): boolean => !UNSTORABLE.test(s);

export const unstorableMessage = (field: string) => `${field} contains a NUL character or an unpaired surrogate`;

/** A string that is stored: `field` names it in the error ("text", "title"...). */
export const storableText = (field: string) => z.string().refine(isStorable, unstorableMessage(field));
