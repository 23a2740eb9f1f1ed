import type { PublicUser } from "../../../protocol/index.ts";
import { type Accessor, createContext, createEffect, createSignal, onCleanup, type ParentProps, useContext } from "solid-js";
import { Api } from "../api/client.ts";
import { Http } from "../api/http.ts";
import { Session } from "../api/session.ts";
import { LocalStore } from "../state/storage.ts";
import { LiveSession } from "./live.ts";
import { createRoute, type Route } from "./route.ts";
import { createToasts, type Toast } from "./toasts.ts";
import { createTheme, type Theme } from "./theme.ts";

/** What every component can reach: the API, who is logged in, the live session, and UI state. */
export interface AppContext {
  api: Api;
  session: Session;
  user: Accessor<PublicUser | null>;
  live: Accessor<LiveSession | null>;
  route: Accessor<Route>;
  navigate(r: Route): void;
  theme: Accessor<Theme>;
  setTheme(t: Theme): void;
  toasts: Accessor<Toast[]>;
  toast(text: string, kind?: Toast["kind"]): void;
  dismissToast(id: number): void;
  /** Search result to scroll to once its conversation is open. */
  jump: Accessor<{ conversationId: string; seq: number } | null>;
  setJump(j: { conversationId: string; seq: number } | null): void;
  logout(): Promise<void>;
}

const Ctx = createContext<AppContext>();

export function AppProvider(props: ParentProps) {
  const store = new LocalStore();
  const session = new Session(store);
  const api = new Api(new Http(session));
  const [user, setUser] = createSignal<PublicUser | null>(session.current?.user ?? null);
  onCleanup(session.subscribe(() => setUser(session.current?.user ?? null)));
  const { route, navigate } = createRoute();
  const { toasts, toast, dismissToast } = createToasts();
  const { theme, setTheme } = createTheme(store);
  const [jump, setJump] = createSignal<{ conversationId: string; seq: number } | null>(null);
  const [live, setLive] = createSignal<LiveSession | null>(null);

  // One live session per logged-in user id; a token refresh (same user) keeps it.
  let liveFor: string | null = null;
  createEffect(() => {
    const u = user();
    if (u?.id === liveFor) return;
    live()?.dispose();
    liveFor = u?.id ?? null;
    setLive(u ? new LiveSession(api, u, store, (id) => route().name === "conversation" && (route() as any).id === id) : null);
  });
  onCleanup(() => live()?.dispose());

  // Refresh who we are (role may have changed); offline is fine, the cached user stays.
  if (session.current) void api.me().then((me) => session.setUser(me), () => {});

  const logout = async () => {
    const s = session.current;
    live()?.outbox.clear();
    session.clear();
    navigate({ name: "home" });
    if (s) await api.logout(s.refreshToken).catch(() => {});
  };

  const ctx: AppContext = { api, session, user, live, route, navigate, theme, setTheme, toasts, toast, dismissToast, jump, setJump, logout };
  return <Ctx.Provider value={ctx}>{props.children}</Ctx.Provider>;
}

export function useApp(): AppContext {
  const c = useContext(Ctx);
  if (!c) throw new Error("useApp outside AppProvider");
  return c;
}
