/**
 * Where a Durable Object is first created. A DO's location is fixed when it is first used, so every
 * caller that can create one (the Worker, and DOs reaching inboxes through the mesh) must ask this one
 * function. Today it returns no hint: Cloudflare places the object near its first caller. Multi-region
 * placement (e.g. a user's home region stored on the account) lands here.
 *
 * Local note: workerd accepts `locationHint` and ignores it, so tests check the choice, not placement.
 */
export type ActorKind = "conversation" | "inbox" | "directory";

/** The values Cloudflare accepts for `locationHint`. */
export type LocationHint = "wnam" | "enam" | "sam" | "weur" | "eeur" | "apac" | "oc" | "afr" | "me";

export interface PlacementOrigin {
  /** `request.cf.continent` of the request that causes the lookup, when there is one. */
  continent?: string;
}

export function locationHint(_kind: ActorKind, _name: string, _origin?: PlacementOrigin): LocationHint | undefined {
  return undefined;
}
