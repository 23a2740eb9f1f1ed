import { createSignal } from "solid-js";
import type { AttachmentRef } from "../../../protocol/index.ts";
import type { Api } from "../api/client.ts";
import { errorMessage } from "../api/http.ts";

/** Files picked or dropped for the next message: uploaded at once, with progress, sent as refs. */
export interface Upload {
  key: number;
  name: string;
  size: number;
  progress: number;
  /** The picked file itself (for an image's thumbnail before it is sent). */
  file?: File;
  ref?: AttachmentRef;
  error?: string;
}

let nextKey = 1;

export function useUploads(api: Api, conversationId: string, onError: (m: string) => void) {
  const [list, setList] = createSignal<Upload[]>([]);
  const patch = (key: number, p: Partial<Upload>) => setList((l) => l.map((u) => (u.key === key ? { ...u, ...p } : u)));

  const add = (files: File[]) => {
    for (const file of files) {
      const key = nextKey++;
      setList((l) => [...l, { key, name: file.name, size: file.size, progress: 0, file }]);
      api
        .upload(conversationId, file, (progress) => patch(key, { progress }))
        .then((a) => patch(key, { progress: 1, ref: { id: a.id, name: a.name, type: a.type, size: a.size } }))
        .catch((e) => {
          patch(key, { error: errorMessage(e) });
          onError(`${file.name}: ${errorMessage(e)}`);
        });
    }
  };

  return {
    list,
    add,
    remove: (key: number) => setList((l) => l.filter((u) => u.key !== key)),
    busy: () => list().some((u) => !u.ref && !u.error),
    ready: () => list().flatMap((u) => (u.ref ? [u.ref] : [])),
    clear: () => setList([]),
  };
}
