import { z } from "zod";

/**
 * Structured mentions of a message: the user ids it mentions, plus "@all" / "@here" for everyone
 * in a group. The text keeps "@name" for people to read; what counts (highlights, the inbox's
 * mention count) is this list, so renaming someone does not break old mentions and a name typed
 * in the text mentions nobody unless its id is here. The conversation actor refuses any entry
 * that is not a current member (bad_request), and "@all"/"@here" outside a group (bad_request) or
 * from a non-admin (forbidden). Both reach every member but the author ("@here" does not look at
 * presence: a conversation does not know who is online on other nodes).
 */
export const MENTION_ALL = "@all";
export const MENTION_HERE = "@here";
export const MAX_MENTIONS = 50;
export const Mentions = z.array(z.string().min(1).max(64)).max(MAX_MENTIONS);
export type Mentions = z.infer<typeof Mentions>;

export const isBroadcastMention = (m: string): boolean => m === MENTION_ALL || m === MENTION_HERE;
