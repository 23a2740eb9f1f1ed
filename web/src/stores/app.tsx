import type { PublicUser } from "../../../protocol/index.ts";
import { type Accessor, createContext, createEffect, createSignal, onCleanup, type ParentProps, useContext } from "solid-js";
import { Api } from "../api/client.ts";
import { Http } from "../api/http.ts";
import { Session } from "../api/session.ts";
import { LocalStore } from "../state/storage.ts";
import { LiveSession } from "./live.ts";
import { type ConfirmOptions, type ConfirmRequest, createConfirm } from "./confirm.ts";
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
  /** Change my password: every other session ends; this one continues on the session it gets back. */
  changePassword(current: string, next: string): Promise<void>;
  /** Delete my account (docs/api.md): signed out with a notice once done. */
  deleteAccount(password: string): Promise<void>;
  /** Why the person is looking at the login screen, when it was not their choice. */
  notice: Accessor<string | null>;
  /** Ask before something that cannot be undone, in the app's own dialog. */
  confirm(o: ConfirmOptions): Promise<boolean>;
  confirmRequest: Accessor<ConfirmRequest | null>;
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
  const { confirm, confirmRequest } = createConfirm();
  const [jump, setJump] = createSignal<{ conversationId: string; seq: number } | null>(null);
  const [live, setLive] = createSignal<LiveSession | null>(null);

  const [notice, setNotice] = createSignal<string | null>(null);
  let sessionChange: Promise<unknown> = Promise.resolve();
  /** Runs `change` (which replaces or ends the session) so a socket closed by it waits for it. */
  const changeSession = async (change: Promise<void>) => {
    sessionChange = change.catch(() => {});
    await change;
  };
  const changePassword = (current: string, next: string) => changeSession(api.changePassword(current, next).then((auth) => session.set(auth)));
  const deleteAccount = (password: string) =>
    changeSession(
      api.deleteAccount(password).then(() => {
        live()?.outbox.clear();
        session.clear();
        navigate({ name: "home" });
        setNotice("Your account was deleted.");
      }),
    );
  const build = (u: PublicUser) =>
    new LiveSession(api, u, store, (id) => route().name === "conversation" && (route() as any).id === id, () => void sessionRevoked());
  /** The server shut the inbox with 4003: if the session still refreshes, start over; else sign out. */
  const sessionRevoked = async () => {
    // My own password change or deletion closes my sockets too: act on its outcome, not before it.
    await sessionChange;
    if (!session.current) return;
    if (await api.http.refresh()) {
      const u = user();
      live()?.dispose();
      setLive(u ? build(u) : null);
      return;
    }
    session.clear();
    setNotice("You were signed out: your account was locked or your session ended.");
  };

  // One live session per logged-in user id; a token refresh (same user) keeps it.
  let liveFor: string | null = null;
  createEffect(() => {
    const u = user();
    if (u?.id === liveFor) return;
    live()?.dispose();
    liveFor = u?.id ?? null;
    if (u) setNotice(null);
    setLive(u ? build(u) : null);
  });
  onCleanup(() => live()?.dispose());

  // Refresh who we are (role may have changed); offline is fine, the cached user stays.
  if (session.current) void api.me().then((me) => session.setUser(me), () => {});

  const logout = async () => {
    const waiting = live()?.outbox.size ?? 0;
    const discard = waiting > 0 && { title: "Log out?", body: `${waiting === 1 ? "1 message has" : `${waiting} messages have`} not been sent yet and will be discarded.`, action: "Log out", danger: true };
    if (discard && !(await confirm(discard))) return;
    const s = session.current;
    live()?.outbox.clear();
    session.clear();
    navigate({ name: "home" });
    if (s) await api.logout(s.refreshToken).catch(() => {});
  };

  const ctx: AppContext = { api, session, user, live, route, navigate, theme, setTheme, toasts, toast, dismissToast, jump, setJump, logout, changePassword, deleteAccount, notice, confirm, confirmRequest };
  return <Ctx.Provider value={ctx}>{props.children}</Ctx.Provider>;
}

export function useApp(): AppContext {
  const c = useContext(Ctx);
  if (!c) throw new Error("useApp outside AppProvider");
  return c;
}
