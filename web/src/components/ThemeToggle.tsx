import { useApp } from "../stores/app.tsx";
import type { Theme } from "../stores/theme.ts";

const NEXT: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" };
const LABEL: Record<Theme, string> = { system: "◐ Auto", light: "☀ Light", dark: "☾ Dark" };

export function ThemeToggle() {
  const app = useApp();
  return (
    <button class="ghost small" data-testid="theme-toggle" title="Theme" aria-label={`Theme: ${app.theme()}`} onClick={() => app.setTheme(NEXT[app.theme()])}>
      {LABEL[app.theme()]}
    </button>
  );
}
