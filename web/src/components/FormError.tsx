import { Show } from "solid-js";

/** The error line under a form, announced to screen readers when it appears. */
export function FormError(props: { message: string | null | undefined }) {
  return (
    <Show when={props.message}>
      <p class="error" role="alert">
        {props.message}
      </p>
    </Show>
  );
}
