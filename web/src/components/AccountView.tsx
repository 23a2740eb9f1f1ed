import { createSignal } from "solid-js";
import { errorMessage } from "../api/http.ts";
import { useApp } from "../stores/app.tsx";
import { FormError } from "./FormError.tsx";
import { Icon } from "./Icon.tsx";

/** My account: change the password (other devices are signed out) or delete the account. */
export function AccountView() {
  const app = useApp();
  return (
    <section class="admin account" data-testid="account-view">
      <header class="conv-header">
        <button class="icon back" aria-label="Back" onClick={() => app.navigate({ name: "home" })}>
          <Icon name="back" />
        </button>
        <h2>Your account</h2>
      </header>
      <ChangePassword />
      <DeleteAccount />
    </section>
  );
}

function ChangePassword() {
  const app = useApp();
  const [current, setCurrent] = createSignal("");
  const [next, setNext] = createSignal("");
  const [again, setAgain] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (next() !== again()) return setError("The new passwords do not match.");
    setBusy(true);
    try {
      await app.changePassword(current(), next());
      setCurrent("");
      setNext("");
      setAgain("");
      app.toast("Password changed. Your other devices were signed out.");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack pad account-form" onSubmit={submit} data-testid="change-password">
      <h3>Change password</h3>
      <label>
        Current password
        <input type="password" autocomplete="current-password" required data-testid="current-password" value={current()} onInput={(e) => setCurrent(e.currentTarget.value)} />
      </label>
      <label>
        New password
        <input type="password" autocomplete="new-password" required minLength={8} data-testid="new-password" value={next()} onInput={(e) => setNext(e.currentTarget.value)} />
      </label>
      <label>
        New password again
        <input type="password" autocomplete="new-password" required minLength={8} data-testid="new-password-again" value={again()} onInput={(e) => setAgain(e.currentTarget.value)} />
      </label>
      <p class="hint">At least 8 characters, not a common one, not containing your username. You stay signed in here; every other device is signed out.</p>
      <FormError message={error()} />
      <button class="primary" type="submit" disabled={busy()} data-testid="change-password-submit">
        Change password
      </button>
    </form>
  );
}

function DeleteAccount() {
  const app = useApp();
  const [password, setPassword] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const ok = await app.confirm({
      title: "Delete your account?",
      body: "You leave all your groups and are signed out everywhere; your picture, display name and status are erased and your devices get no more notifications. Your messages and files stay in their conversations, shown as from a deleted user, and nobody can take your username after you; your 1:1 chats stay readable by the other person. This cannot be undone.",
      action: "Delete account",
      danger: true,
    });
    if (!ok) return;
    setBusy(true);
    try {
      await app.deleteAccount(password());
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack pad account-form" onSubmit={submit} data-testid="delete-account">
      <h3>Delete account</h3>
      <label>
        Password
        <input type="password" autocomplete="current-password" required data-testid="delete-password" value={password()} onInput={(e) => setPassword(e.currentTarget.value)} />
      </label>
      <FormError message={error()} />
      <button class="danger" type="submit" disabled={busy()} data-testid="delete-account-submit">
        Delete my account
      </button>
    </form>
  );
}
