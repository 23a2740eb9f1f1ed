/** What a message's text must be, whatever carries it (socket, REST, edit). */
import { NexusError } from "../../protocol/index.ts";

/** Whether `text` is empty or only whitespace, without trim()'s copy in the common case. */
function isBlank(text: string): boolean {
  const c = text.charCodeAt(0);
  if (c > 0x20 && c < 0x7f) return false; // starts with a visible ASCII character
  return text.trim().length === 0;
}

/** Within the length limit, and not blank unless attachments carry the message. */
export function checkText(text: string, maxLength: number, hasAttachments: boolean): void {
  if (text.length > maxLength) throw new NexusError("payload_too_large", `text is longer than ${maxLength} characters`);
  if (!hasAttachments && isBlank(text)) throw new NexusError("bad_request", "text is empty");
}
