/** Shared by every target: lay out one MemberSpec per socket, and cache per-workload preparation
 *  (Nexus registers users with scrypt, ~50 ms each: done once per server, reused by every scenario). */
import type { MemberSpec, Workload } from "./types.ts";

export function buildSpecs(w: Workload, conn: (g: number, m: number, socketIndex: number) => Record<string, string>): MemberSpec[] {
  const specs: MemberSpec[] = [];
  const copies = w.socketsPerMember ?? 1;
  for (let g = 0; g < w.groups; g++)
    for (let m = 0; m < w.members; m++)
      for (let k = 0; k < copies; k++) specs.push({ g, m, id: specs.length, conn: conn(g, m, specs.length) });
  return specs;
}

/** Memoizes an async preparation by groups x members. */
export function perShape<T>(make: (groups: number, members: number) => Promise<T>): (w: Workload) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (w) => {
    const key = `${w.groups}x${w.members}`;
    let p = cache.get(key);
    if (!p) cache.set(key, (p = make(w.groups, w.members)));
    return p;
  };
}
