import { createEffect, createSignal } from "solid-js";
import type { KeyValueStore } from "../state/storage.ts";

/** "system" follows prefers-color-scheme; the toggle pins light or dark. */
export type Theme = "system" | "light" | "dark";

export function createTheme(store: KeyValueStore) {
  const saved = store.get("nexus.theme");
  const [theme, setThemeSignal] = createSignal<Theme>(saved === "light" || saved === "dark" ? saved : "system");
  createEffect(() => {
    const t = theme();
    if (t === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = t;
  });
  const setTheme = (t: Theme) => {
    store.set("nexus.theme", t);
    setThemeSignal(t);
  };
  return { theme, setTheme };
}
