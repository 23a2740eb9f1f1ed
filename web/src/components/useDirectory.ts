import { createSignal } from "solid-js";
import type { PublicUser } from "../../../protocol/index.ts";
import { useApp } from "../stores/app.tsx";

/**
 * Directory lookups as someone types (GET /v1/users/directory: any part of a username or display
 * name): the latest answer wins, and what comes back also refreshes the people cache.
 */
export function useDirectory(exclude: () => ReadonlySet<string>) {
  const app = useApp();
  const [results, setResults] = createSignal<PublicUser[]>([]);
  const [searched, setSearched] = createSignal<string | null>(null);
  let seq = 0;
  const lookup = async (q: string) => {
    const mine = ++seq;
    const query = q.trim();
    if (!query) {
      setResults([]);
      setSearched(null);
      return;
    }
    try {
      const page = await app.api.directory(query, undefined, 8);
      if (mine !== seq) return;
      app.live()?.people.put(page.users);
      setResults(page.users.filter((u) => !exclude().has(u.id)));
      setSearched(query);
    } catch {
      if (mine === seq) setResults([]);
    }
  };
  return { results, searched, lookup, clear: () => (seq++, setResults([]), setSearched(null)) };
}
