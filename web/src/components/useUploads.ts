import { createSignal } from "solid-js";
import type { AttachmentRef } from "../../../protocol/index.ts";
import type { Api } from "../api/client.ts";
import { ApiError, errorMessage, NetworkError } from "../api/http.ts";

/** Files picked, dropped or pasted for the next message: uploaded at once, with progress, sent as
 *  refs. One that failed for want of a server (offline, 5xx, 429) is tried again by `retryFailed`,
 *  which the conversation calls when its socket is back. */
export interface Upload {
  key: number;
  name: string;
  size: number;
  progress: number;
  /** The picked file itself (for an image's thumbnail before it is sent). */
  file?: File;
  ref?: AttachmentRef;
  error?: string;
  /** The error may pass (network, server busy or down): worth another try once reconnected. */
  retryable?: boolean;
}

let nextKey = 1;

export function useUploads(api: Api, conversationId: string, onError: (m: string) => void) {
  const [list, setList] = createSignal<Upload[]>([]);
  const patch = (key: number, p: Partial<Upload>) => setList((l) => l.map((u) => (u.key === key ? { ...u, ...p } : u)));

  const start = (key: number, file: File) =>
    api
      .upload(conversationId, file, (progress) => patch(key, { progress }))
      .then((a) => patch(key, { progress: 1, ref: { id: a.id, name: a.name, type: a.type, size: a.size } }))
      .catch((e) => {
        const retryable = e instanceof NetworkError || (e instanceof ApiError && e.transient);
        patch(key, { error: retryable ? `${errorMessage(e)} (tried again when reconnected)` : errorMessage(e), retryable });
        onError(`${file.name}: ${errorMessage(e)}`);
      });

  const add = (files: File[]) => {
    for (const file of files) {
      const key = nextKey++;
      setList((l) => [...l, { key, name: file.name, size: file.size, progress: 0, file }]);
      void start(key, file);
    }
  };

  /** Upload again every file that failed for a reason that may have passed. */
  const retryFailed = () => {
    for (const u of list()) {
      if (!u.error || !u.retryable || !u.file) continue;
      patch(u.key, { error: undefined, retryable: undefined, progress: 0 });
      void start(u.key, u.file);
    }
  };

  return {
    list,
    add,
    retryFailed,
    remove: (key: number) => setList((l) => l.filter((u) => u.key !== key)),
    busy: () => list().some((u) => !u.ref && !u.error),
    ready: () => list().flatMap((u) => (u.ref ? [u.ref] : [])),
    clear: () => setList([]),
  };
}
