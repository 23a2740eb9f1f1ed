/** Client ids name a send before the server has a seq for it; the actor dedupes on them. */
export function newClientId(prefix = "c"): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  let s = "";
  for (const b of bytes) s += b.toString(36).padStart(2, "0");
  return `${prefix}_${Date.now().toString(36)}${s}`.slice(0, 64);
}
