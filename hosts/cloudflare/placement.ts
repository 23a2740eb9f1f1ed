/**
 * Where Durable Objects are first created. Cloudflare fixes an object's location when it is first
 * created (a later `locationHint` is ignored), so the hint is decided once, by these rules:
 *  - an account's home is the hint of the request that signed it up (`homeFromCf`), written into the
 *    user id (hosts/cloudflare/directoryShards.ts), so the Worker and every object (the mesh) read it
 *    from the id with no lookup;
 *  - an inbox is created at its user's home;
 *  - a direct conversation at its creator's home; a group at its members' majority home (a tie, or no
 *    member with a known home, gives the creator's).
 * Users who move keep their home: their objects stay where they were created (still reachable from
 * everywhere, with the extra latency); only new objects follow the new majority.
 *
 * Local note: workerd accepts `locationHint` and ignores it, so tests check the choice, not placement.
 */

/** The values Cloudflare accepts for `locationHint`. */
export const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];

export const isLocationHint = (s: unknown): s is LocationHint => (LOCATION_HINTS as readonly unknown[]).includes(s);

/** The fields of `request.cf` used (all optional: absent locally and for some clients). */
export interface CfLocation {
  continent?: string;
  country?: string;
  colo?: string;
  latitude?: string;
  longitude?: string;
}

// Middle East (Western Asia, Iran, Egypt): Cloudflare's "me" region rather than "apac"/"afr".
const MIDDLE_EAST = new Set(["AE", "BH", "EG", "IL", "IQ", "IR", "JO", "KW", "LB", "OM", "PS", "QA", "SA", "SY", "YE"]);
// Europe east of the Oder-Adriatic line (plus Turkey and Cyprus, whose continent varies by source).
const EASTERN_EUROPE = new Set([
  "AL", "BA", "BG", "BY", "CY", "CZ", "EE", "FI", "GR", "HR", "HU", "LT", "LV", "MD", "ME", "MK", "PL", "RO", "RS", "RU", "SI", "SK", "TR", "UA", "XK",
]);
// North American colos west of roughly the 100th meridian, for when no longitude is given.
const WESTERN_COLOS = new Set(["ABQ", "ANC", "BOI", "BUR", "DEN", "FAT", "HNL", "LAS", "LAX", "OAK", "PDX", "PHX", "SAN", "SEA", "SFO", "SJC", "SLC", "SMF", "TUS", "YVR", "YYC", "YEG"]);

/**
 * `request.cf` → location hint: country first where a continent would mislead (Middle East, Eastern
 * Europe), then continent; North America splits east/west at longitude -100 (or by colo when there is
 * no longitude). Unknown (no cf, Tor's "T1", unknown continent) → undefined: no hint.
 */
export function homeFromCf(cf: CfLocation | undefined): LocationHint | undefined {
  if (!cf) return undefined;
  const country = cf.country?.toUpperCase();
  const lon = cf.longitude === undefined ? NaN : Number(cf.longitude);
  if (country && MIDDLE_EAST.has(country)) return "me";
  if (country && EASTERN_EUROPE.has(country)) return "eeur";
  switch (cf.continent?.toUpperCase()) {
    case "NA":
      if (Number.isFinite(lon)) return lon < -100 ? "wnam" : "enam";
      return cf.colo && WESTERN_COLOS.has(cf.colo.toUpperCase()) ? "wnam" : "enam";
    case "SA":
      return "sam";
    case "EU":
      // Country unknown (or western): split at longitude 20°E when known.
      return Number.isFinite(lon) && !country && lon >= 20 ? "eeur" : "weur";
    case "AS":
      return "apac";
    case "OC":
    case "AN":
      return "oc";
    case "AF":
      return "afr";
    default:
      return undefined;
  }
}

/**
 * A group's hint: the home most of its members share; on a tie (or when no member has a known home)
 * the creator's.
 */
export function majorityHome(creator: LocationHint | undefined, homes: (LocationHint | undefined)[]): LocationHint | undefined {
  const counts = new Map<LocationHint, number>();
  for (const h of homes) if (h) counts.set(h, (counts.get(h) ?? 0) + 1);
  let best: LocationHint | undefined;
  let bestCount = 0;
  let tie = false;
  for (const [h, n] of counts) {
    if (n > bestCount) [best, bestCount, tie] = [h, n, false];
    else if (n === bestCount) tie = true;
  }
  return best === undefined || tie ? creator : best;
}
