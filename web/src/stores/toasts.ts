import { createSignal } from "solid-js";

export interface Toast {
  id: number;
  text: string;
  kind: "info" | "error";
}

/** Short messages at the edge of the screen; errors stay a little longer. */
export function createToasts() {
  const [toasts, setToasts] = createSignal<Toast[]>([]);
  let next = 1;
  const dismissToast = (id: number) => setToasts((l) => l.filter((t) => t.id !== id));
  const toast = (text: string, kind: Toast["kind"] = "info") => {
    const id = next++;
    setToasts((l) => [...l.slice(-3), { id, text, kind }]);
    setTimeout(() => dismissToast(id), kind === "error" ? 8000 : 4000);
  };
  return { toasts, toast, dismissToast };
}
