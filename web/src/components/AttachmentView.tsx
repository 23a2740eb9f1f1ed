import { createResource, createSignal, Show } from "solid-js";
import { Portal } from "solid-js/web";
import type { AttachmentRef } from "../../../protocol/index.ts";
import { useApp } from "../stores/app.tsx";
import { fileSize } from "./format.ts";
import { Icon } from "./Icon.tsx";
import { ImageViewer } from "./ImageViewer.tsx";

/**
 * Attachments need the Bearer token, so <img src> cannot fetch them directly: fetch once as a blob,
 * keep the object URL for the page's lifetime (re-renders do not refetch).
 */
const cache = new Map<string, Promise<string>>();

export function AttachmentView(props: { conversationId: string; att: AttachmentRef }) {
  const app = useApp();
  const isImage = () => props.att.type.startsWith("image/");
  const [viewing, setViewing] = createSignal(false);
  const load = (id: string) => {
    let p = cache.get(id);
    if (!p) {
      p = app.api.attachmentBlob(props.conversationId, id).then((b) => URL.createObjectURL(b));
      p.catch(() => cache.delete(id));
      cache.set(id, p);
    }
    return p;
  };
  const [resource] = createResource(() => props.att.id, load);
  // Reading a resource in error state throws; expose only a ready URL.
  const url = () => (resource.state === "ready" ? resource() : undefined);

  return (
    <div class="attachment" data-testid="attachment" data-name={props.att.name}>
      <Show when={isImage()}>
        <a class="image-frame" href={url()} onClick={(e) => (e.preventDefault(), url() && setViewing(true))} aria-label={`View ${props.att.name}`}>
          <Show when={url()}>
            <img src={url()} alt={props.att.name} data-testid="attachment-image" loading="lazy" />
          </Show>
        </a>
        <Show when={viewing() && url()}>
          <Portal>
            <ImageViewer url={url()!} name={props.att.name} onClose={() => setViewing(false)} />
          </Portal>
        </Show>
      </Show>
      <a class="file" href={url() ?? "#"} download={props.att.name} data-testid="attachment-download" aria-disabled={!url()}>
        <Icon name="download" size={14} /> {props.att.name} <span class="muted">({fileSize(props.att.size)})</span>
      </a>
      <Show when={resource.state === "errored"}>
        <span class="error small">Could not load</span>
      </Show>
    </div>
  );
}
