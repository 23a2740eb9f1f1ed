import { For } from "solid-js";
import { useApp } from "../stores/app.tsx";

export function Toasts() {
  const app = useApp();
  return (
    <div class="toasts" role="status" aria-live="polite">
      <For each={app.toasts()}>
        {(t) => (
          <div class={`toast ${t.kind}`} data-testid="toast">
            <span>{t.text}</span>
            <button class="ghost small" aria-label="Dismiss" onClick={() => app.dismissToast(t.id)}>
              ×
            </button>
          </div>
        )}
      </For>
    </div>
  );
}
