import { For, onCleanup, Show } from "solid-js";
import { fileSize } from "./format.ts";
import type { Upload } from "./useUploads.ts";

/** Files on their way into the next message: a thumbnail for images, progress, remove. */
export function UploadList(props: { uploads: Upload[]; onRemove(key: number): void }) {
  return (
    <Show when={props.uploads.length > 0}>
      <ul class="uploads" role="list">
        <For each={props.uploads}>
          {(u) => (
            <li class="upload" data-testid="upload" data-done={u.ref ? "true" : "false"} data-failed={u.error ? "true" : "false"}>
              <Show when={u.file?.type.startsWith("image/") && u.file}>{(f) => <Thumbnail file={f()} />}</Show>
              <span class="upload-name">
                {u.name} <span class="muted">({fileSize(u.size)})</span>
              </span>
              <Show when={!u.error} fallback={<span class="error">{u.error}</span>}>
                <progress max="1" value={u.progress} data-testid="upload-progress" aria-label={`Uploading ${u.name}`} />
              </Show>
              <button class="ghost small" aria-label={`Remove ${u.name}`} onClick={() => props.onRemove(u.key)}>
                ×
              </button>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}

/** The picked image itself, from the local file (no round trip), freed when it leaves the list. */
function Thumbnail(props: { file: File }) {
  const url = URL.createObjectURL(props.file);
  onCleanup(() => URL.revokeObjectURL(url));
  return <img class="upload-thumb" src={url} alt="" data-testid="upload-thumb" />;
}
