import { createSignal, Show } from "solid-js";
import { ApiError } from "../api/http.ts";
import { errorMessage } from "../api/http.ts";
import { useApp } from "../stores/app.tsx";
import { ThemeToggle } from "./ThemeToggle.tsx";

/** Log in or create an account. Lockouts get their own message with the time they end. */
export function AuthScreen() {
  const app = useApp();
  const [mode, setMode] = createSignal<"login" | "register">("login");
  const [username, setUsername] = createSignal("");
  const [password, setPassword] = createSignal("");
  /** Set after `password_change_required`: the password was a temporary one from an admin. */
  const [mustChange, setMustChange] = createSignal(false);
  const [newPassword, setNewPassword] = createSignal("");
  const [error, setError] = createSignal<{ text: string; locked?: boolean } | null>(null);
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const auth =
        mode() === "login"
          ? await app.api.login(username().trim(), password(), mustChange() ? newPassword() : undefined)
          : await app.api.register(username().trim(), password());
      app.session.set(auth);
    } catch (err) {
      if (err instanceof ApiError && err.code === "password_change_required") setMustChange(true);
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="auth" data-testid="auth-screen">
      <div class="auth-card">
        <div class="auth-top">
          <h1 class="brand">Nexus</h1>
          <ThemeToggle />
        </div>
        <div class="tabs" role="tablist">
          <button role="tab" aria-selected={mode() === "login"} data-testid="tab-login" onClick={() => (setMode("login"), setError(null))}>
            Log in
          </button>
          <button role="tab" aria-selected={mode() === "register"} data-testid="tab-register" onClick={() => (setMode("register"), setError(null))}>
            Create account
          </button>
        </div>
        <Show when={app.notice()}>
          <p class="error locked" role="alert" data-testid="auth-notice">
            {app.notice()}
          </p>
        </Show>
        <form onSubmit={submit} class="stack">
          <label>
            Username
            <input
              data-testid="auth-username"
              autocomplete="username"
              required
              minLength={mode() === "register" ? 3 : 1}
              maxLength={32}
              value={username()}
              onInput={(e) => setUsername(e.currentTarget.value.toLowerCase())}
            />
          </label>
          <label>
            Password
            <input
              data-testid="auth-password"
              type="password"
              autocomplete={mode() === "login" ? "current-password" : "new-password"}
              required
              minLength={mode() === "register" ? 8 : 1}
              value={password()}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          <Show when={mode() === "login" && mustChange()}>
            <label>
              New password
              <input
                data-testid="auth-new-password"
                type="password"
                autocomplete="new-password"
                required
                minLength={8}
                value={newPassword()}
                onInput={(e) => setNewPassword(e.currentTarget.value)}
              />
            </label>
          </Show>
          <Show when={mode() === "register"}>
            <p class="hint">3-32 characters: a-z, 0-9, _ . -. Password: at least 8 characters, not a common one, not containing the username.</p>
          </Show>
          <Show when={error()}>
            {(err) => (
              <p class={err().locked ? "error locked" : "error"} role="alert" data-testid={err().locked ? "auth-locked" : "auth-error"}>
                {err().text}
              </p>
            )}
          </Show>
          <button class="primary" type="submit" disabled={busy()} data-testid="auth-submit">
            {mode() === "login" ? "Log in" : "Create account"}
          </button>
        </form>
      </div>
    </main>
  );
}

function describe(err: unknown): { text: string; locked?: boolean } {
  if (err instanceof ApiError && err.code === "account_locked") {
    const until = Number(err.details?.until);
    const when = Number.isFinite(until) && until > 0 ? ` until ${new Date(until).toLocaleTimeString()}` : "";
    // scope "account": an admin's lock; otherwise 3 failed logins locked this name for this address
    // only (issue #18 item 3): the owner can still sign in from elsewhere.
    if (err.details?.scope === "deactivated") return { text: "This account is deactivated. Ask an admin to reactivate it.", locked: true };
    if (err.details?.scope === "account")
      return { text: `This account is locked${err.details?.indefinite ? "" : when} by an admin. Ask an admin to unlock it.`, locked: true };
    return {
      text: `This account is locked${when} on this network after 3 failed logins. Try again later, from another network, or ask an admin to unlock it.`,
      locked: true,
    };
  }
  if (err instanceof ApiError && err.code === "rate_limited" && typeof err.details?.retryAfter === "number")
    return { text: `Too many attempts. Wait ${err.details.retryAfter} s and try again.` };
  if (err instanceof ApiError && err.code === "password_change_required")
    return { text: "An admin reset your password. Choose a new one to continue (at least 8 characters)." };
  if (err instanceof ApiError && err.code === "invalid_credentials" && err.details?.reason === "temporary_expired")
    return { text: "That temporary password has expired. Ask an admin for a new one." };
  if (err instanceof ApiError && err.code === "invalid_credentials") return { text: "Wrong username or password." };
  if (err instanceof ApiError && err.code === "conflict") return { text: "That username is taken." };
  return { text: errorMessage(err) };
}
