import { onCleanup, onMount, Show } from "solid-js";
import type { ConfirmRequest } from "../stores/confirm.ts";
import { useApp } from "../stores/app.tsx";

/**
 * The app's own "are you sure?" (destructive actions). Above any open dialog: its Escape is caught
 * first (window, capture phase) so it does not close the dialog underneath too.
 */
export function ConfirmDialog() {
  const app = useApp();
  return <Show when={app.confirmRequest()} keyed>{(req) => <Question req={req} />}</Show>;
}

function Question(props: { req: ConfirmRequest }) {
  let ok!: HTMLButtonElement;
  const previous = document.activeElement as HTMLElement | null;
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== "Escape") return;
    e.stopImmediatePropagation();
    e.preventDefault();
    props.req.answer(false);
  };
  onMount(() => {
    addEventListener("keydown", onKey, true);
    ok.focus();
  });
  onCleanup(() => {
    removeEventListener("keydown", onKey, true);
    previous?.focus?.();
  });
  return (
    <div class="backdrop confirm-backdrop" onClick={(e) => e.target === e.currentTarget && props.req.answer(false)}>
      <div class="modal confirm" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" aria-describedby="confirm-body" data-testid="confirm-dialog">
        <h2 id="confirm-title">{props.req.title}</h2>
        <Show when={props.req.body}>
          <p id="confirm-body" class="muted">
            {props.req.body}
          </p>
        </Show>
        <div class="row confirm-actions">
          <button class="ghost" data-testid="confirm-cancel" onClick={() => props.req.answer(false)}>
            Cancel
          </button>
          <button ref={ok} class={props.req.danger ? "danger" : "primary"} data-testid="confirm-ok" onClick={() => props.req.answer(true)}>
            {props.req.action}
          </button>
        </div>
      </div>
    </div>
  );
}
