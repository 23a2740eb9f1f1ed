import { createSignal } from "solid-js";

/** A thread to open once its conversation is on screen (a search hit that is a thread reply). */
export const [threadTarget, setThreadTarget] = createSignal<{ conversationId: string; root: number } | null>(null);
