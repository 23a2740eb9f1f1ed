import { createSignal, lazy, onCleanup, onMount, Show, Suspense } from "solid-js";
import type { LiveSession } from "../stores/live.ts";

/** The dialog and its fuzzy matcher load on the first Ctrl+K: they stay out of the main bundle. */
const SwitcherDialog = lazy(() => import("./QuickSwitcherDialog.tsx").then((m) => ({ default: m.SwitcherDialog })));

/**
 * Ctrl+K (⌘K on a Mac) anywhere: jump to a conversation by typing part of its title or of a
 * member's name, fuzzily ("alc" finds alice); ↑/↓ choose, Enter opens, Escape closes. With nothing
 * typed it lists the conversations as the sidebar does (newest first).
 */
export function QuickSwitcher(props: { live: LiveSession }) {
  const [open, setOpen] = createSignal(false);
  const onKey = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "k") {
      e.preventDefault(); // Chromium's own Ctrl+K focuses the address bar's search
      setOpen(!open());
    }
  };
  onMount(() => document.addEventListener("keydown", onKey));
  onCleanup(() => document.removeEventListener("keydown", onKey));
  return (
    <Show when={open()}>
      <Suspense>
        <SwitcherDialog live={props.live} onClose={() => setOpen(false)} />
      </Suspense>
    </Show>
  );
}
