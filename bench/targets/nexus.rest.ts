/** Minimal REST helpers for preparing Nexus bench users and groups (docs/api.md). */

export interface NexusUser {
  username: string;
  userId: string;
  accessToken: string;
}

export async function api<T>(base: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const r = await fetch(`${base}${path}`, {
      method: init.method ?? (init.body ? "POST" : "GET"),
      headers: {
        ...(init.body ? { "content-type": "application/json" } : {}),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    if (r.ok) return (r.status === 204 ? undefined : await r.json()) as T;
    // The bench raises the limits, but ride out a 429 rather than fail a long preparation.
    if (r.status === 429 && attempt < 30) {
      await Bun.sleep(200 * (attempt + 1));
      continue;
    }
    throw new Error(`nexus ${init.method ?? "GET"} ${path}: ${r.status} ${await r.text()}`);
  }
}

export async function register(base: string, username: string): Promise<NexusUser> {
  const res = await api<{ user: { id: string }; accessToken: string }>(base, "/v1/auth/register", {
    body: { username, password: "bench-password-1" },
  });
  return { username, userId: res.user.id, accessToken: res.accessToken };
}

export async function createGroup(base: string, owner: NexusUser, title: string, others: string[]): Promise<string> {
  const info = await api<{ id: string }>(base, "/v1/conversations", {
    token: owner.accessToken,
    body: { title, members: others },
  });
  return info.id;
}

/** `groups` groups of `members` fresh users each (names `<prefix><groups>x<members>_<g>_<m>`), every
 *  group created by its first member, all through `base` (so the actors live on that node). */
export async function registerGroups(base: string, prefix: string, groups: number, members: number): Promise<{ users: NexusUser[][]; convs: string[] }> {
  const names: string[] = [];
  for (let g = 0; g < groups; g++) for (let m = 0; m < members; m++) names.push(`${prefix}${groups}x${members}_${g}_${m}`);
  const flat = await inLanes(names, 8, (n) => register(base, n));
  const users: NexusUser[][] = [];
  for (let g = 0; g < groups; g++) users.push(flat.slice(g * members, (g + 1) * members));
  const convs = await inLanes(users, 8, (list, g) => createGroup(base, list[0]!, `bench ${g}`, list.slice(1).map((u) => u.username)));
  return { users, convs };
}

/** Runs `fn` over `items` with at most `lanes` in flight. */
export async function inLanes<T, R>(items: T[], lanes: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
