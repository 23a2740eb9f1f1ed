import { createEffect, createSignal, onMount, Show } from "solid-js";
import { insertMention, type Mentionable, mentionQuery, suggestions } from "../state/mentionPicks.ts";
import type { MessageRow } from "../state/timeline.ts";
import { Drafts } from "../state/drafts.ts";
import { MemoryStore } from "../state/storage.ts";
import { useApp } from "../stores/app.tsx";
import { Icon } from "./Icon.tsx";
import { MentionSuggest } from "./MentionSuggest.tsx";
import { UploadList } from "./UploadList.tsx";
import type { Upload } from "./useUploads.ts";

/**
 * The message box. Enter sends, Shift+Enter is a newline; Escape cancels a reply or an edit.
 * ↑ in an empty box edits my last message. Typing "@" suggests the conversation's members (Up/Down choose, Enter or Tab pick, Escape closes).
 * Attachments: the 📎 button or a drop anywhere on the conversation; each shows upload progress.
 * An unsent draft is kept per conversation (state/drafts.ts: it survives a reload and shows in the
 * list), and editing a message puts it aside until the edit is saved or cancelled.
 */
const noSession = new Drafts(new MemoryStore(), "drafts");
export function Composer(props: {
  conversationId: string;
  replyTo: MessageRow | null;
  editing: MessageRow | null;
  nameOf(userId: string): string;
  uploads: Upload[];
  onRemoveUpload(key: number): void;
  onCancel(): void;
  onSend(text: string): boolean;
  /** Called on every change; `active` is false once the box is empty again. */
  onTyping(active: boolean): void;
  onFiles(files: File[]): void;
  /** ↑ in an empty box: edit my last message; false when there is none. */
  onEditLast?(): boolean;
  /** The server's text limit, when known: longer text is not sent (the box keeps it). */
  maxLength?: number | null;
  /** Why nothing can be sent here any more (e.g. removed from the group); the box is disabled. */
  disabled?: string | null;
  /** Who "@" suggests; `canMentionAll` adds "@all"/"@here" (group admins). */
  members?: Mentionable[];
  me?: string;
  canMentionAll?: boolean;
}) {
  const drafts = useApp().live()?.drafts ?? noSession;
  const [text, setTextSignal] = createSignal(drafts.get(props.conversationId));
  /** The draft put aside while a message is being edited. */
  let aside: string | null = null;
  const setText = (t: string) => {
    setTextSignal(t);
    if (aside !== null) return; // the box holds an edit, not the draft
    drafts.set(props.conversationId, t);
  };
  let area!: HTMLTextAreaElement;
  let picker!: HTMLInputElement;

  const [mention, setMention] = createSignal<{ start: number; query: string } | null>(null);
  const [active, setActive] = createSignal(0);
  const options = () => {
    const q = mention();
    return q ? suggestions(props.members ?? [], q.query, props.me ?? "", props.canMentionAll ?? false) : [];
  };
  const lookForMention = () => {
    setMention(area.selectionStart === area.selectionEnd ? mentionQuery(area.value, area.selectionStart) : null);
    setActive(0);
  };
  const pick = (m: Mentionable) => {
    const q = mention();
    if (!q) return;
    const r = insertMention(area.value, area.selectionStart, q, m.username);
    setText(r.text);
    area.value = r.text;
    area.setSelectionRange(r.caret, r.caret);
    setMention(null);
    area.focus();
  };

  // An opened or just started conversation is ready to type in (not on touch screens, where focus
  // would pop the keyboard over what the person came to read).
  onMount(() => !matchMedia("(pointer: coarse)").matches && area.focus({ preventScroll: true }));

  createEffect(() => {
    const e = props.editing;
    if (e) {
      if (aside === null) aside = text();
      setTextSignal(e.text);
    } else if (aside !== null) {
      const draft = aside;
      aside = null;
      setText(draft);
    }
    if (e || props.replyTo) area?.focus();
  });

  /** Characters left before the limit; shown once it is near. */
  const left = () => (props.maxLength ? props.maxLength - text().length : Infinity);
  const tooLong = () => left() < 0;

  const submit = () => {
    if (props.disabled || tooLong()) return;
    // An edit that is saved ends with the put-aside draft back in the box (the effect above).
    const wasEditing = props.editing !== null;
    if (props.onSend(text()) && !wasEditing) setText("");
    area.focus();
  };

  const onKey = (e: KeyboardEvent) => {
    const opts = options();
    if (opts.length > 0 && !e.isComposing) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        setActive((active() + (e.key === "ArrowDown" ? 1 : opts.length - 1)) % opts.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        pick(opts[Math.min(active(), opts.length - 1)]!);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        setMention(null);
        return;
      }
    }
    if (e.key === "ArrowUp" && !e.shiftKey && !text() && !props.editing && !props.disabled && props.onEditLast?.()) {
      e.preventDefault();
    } else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape" && (props.replyTo || props.editing)) {
      e.preventDefault();
      if (props.editing) setText("");
      props.onCancel();
    }
  };

  return (
    <div class="composer" data-testid="composer">
      <Show when={props.replyTo || props.editing}>
        <div class="composer-context" data-testid="composer-context">
          <span>
            {props.editing ? "Editing message" : `Replying to ${props.nameOf(props.replyTo!.author)}: `}
            <Show when={props.replyTo}>
              <em>{props.replyTo!.text.slice(0, 80)}</em>
            </Show>
          </span>
          <button class="ghost small" aria-label="Cancel" data-testid="composer-cancel" onClick={() => (props.editing && setText(""), props.onCancel())}>
            ×
          </button>
        </div>
      </Show>
      <UploadList uploads={props.uploads} onRemove={props.onRemoveUpload} />
      <Show when={options().length > 0}>
        <MentionSuggest options={options()} active={active()} onPick={pick} />
      </Show>
      <div class="composer-row">
        <button class="icon" title="Attach files" aria-label="Attach files" data-testid="attach" onClick={() => picker.click()}>
          <Icon name="clip" size={20} />
        </button>
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = "";
            if (files.length) props.onFiles(files);
          }}
        />
        <textarea
          ref={area}
          rows={1}
          placeholder={props.disabled ?? "Message"}
          aria-label="Message"
          data-testid="composer-input"
          disabled={!!props.disabled}
          value={text()}
          onInput={(e) => {
            setText(e.currentTarget.value);
            props.onTyping(e.currentTarget.value.length > 0);
            lookForMention();
          }}
          onClick={lookForMention}
          onBlur={() => setMention(null)}
          onKeyDown={onKey}
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])];
            if (files.length) (e.preventDefault(), props.onFiles(files));
          }}
        />
        <Show when={left() < 200}>
          <span class="char-count" classList={{ over: tooLong() }} data-testid="char-count" aria-live="polite"
            title={tooLong() ? `${-left()} characters over the limit of ${props.maxLength}` : `${left()} characters left`}>
            {left()}
          </span>
        </Show>
        <button class="primary" data-testid="send" aria-label={props.editing ? "Save edit" : "Send"} onClick={submit} disabled={!!props.disabled || tooLong()}>
          {props.editing ? "Save" : "Send"}
        </button>
      </div>
    </div>
  );
}
