import { createSignal } from "solid-js";

/** Hash routes, so the server only ever has to serve index.html at `/`. */
export type Route = { name: "home" } | { name: "conversation"; id: string } | { name: "admin" } | { name: "account" };

export function parseRoute(hash: string): Route {
  const m = /^#\/c\/([^/?#]+)/.exec(hash);
  if (m) return { name: "conversation", id: decodeURIComponent(m[1]!) };
  if (hash.startsWith("#/admin")) return { name: "admin" };
  if (hash.startsWith("#/account")) return { name: "account" };
  return { name: "home" };
}

export function routeHash(r: Route): string {
  if (r.name === "conversation") return `#/c/${encodeURIComponent(r.id)}`;
  if (r.name === "admin") return "#/admin";
  if (r.name === "account") return "#/account";
  return "#/";
}

export function createRoute() {
  const [route, setRoute] = createSignal<Route>(parseRoute(location.hash));
  addEventListener("hashchange", () => setRoute(parseRoute(location.hash)));
  const navigate = (r: Route) => {
    const h = routeHash(r);
    if (location.hash !== h) location.hash = h;
    setRoute(r);
  };
  return { route, navigate };
}
