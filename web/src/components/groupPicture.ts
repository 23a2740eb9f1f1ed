import { createContext } from "solid-js";

/** Which group picture an avatar shows: the conversation and its picture version (none: initials). */
export interface GroupPictureRef {
  conversationId: string;
  version?: string;
}

/**
 * The group a conversation-list row stands for. ConversationList provides it around each row, and
 * a group Avatar inside reads it when it is given no picture of its own, so every row shows its
 * group's picture without each row passing it down.
 */
export const ListRowGroup = createContext<() => GroupPictureRef | undefined>();
