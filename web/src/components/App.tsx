import { Show } from "solid-js";
import { AppProvider, useApp } from "../stores/app.tsx";
import { AuthScreen } from "./AuthScreen.tsx";
import { ConfirmDialog } from "./ConfirmDialog.tsx";
import { Shell } from "./Shell.tsx";
import { Toasts } from "./Toasts.tsx";

export function App() {
  return (
    <AppProvider>
      <Gate />
      <Toasts />
      <ConfirmDialog />
    </AppProvider>
  );
}

/** Logged out → the auth screen; logged in → the chat shell, even offline (the session is cached). */
function Gate() {
  const app = useApp();
  return (
    <Show when={app.live()} keyed fallback={<AuthScreen />}>
      {(live) => <Shell live={live} />}
    </Show>
  );
}
