import { useApp } from "../stores/app.tsx";
import type { Theme } from "../stores/theme.ts";
import { Icon } from "./Icon.tsx";

const NEXT: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" };
const LABEL: Record<Theme, string> = { system: "Auto", light: "Light", dark: "Dark" };
const ICON = { system: "auto", light: "sun", dark: "moon" } as const;

export function ThemeToggle() {
  const app = useApp();
  return (
    <button class="ghost small" data-testid="theme-toggle" title="Theme" aria-label={`Theme: ${app.theme()}`} onClick={() => app.setTheme(NEXT[app.theme()])}>
      <Icon name={ICON[app.theme()]} size={16} /> {LABEL[app.theme()]}
    </button>
  );
}
