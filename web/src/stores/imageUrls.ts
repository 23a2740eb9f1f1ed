import { createSignal } from "solid-js";

/**
 * Images the API serves only with the access token (an <img> cannot send it): fetched once per
 * key and kept as object URLs. Keys name a version (a new picture is a new key), so a URL never
 * goes stale. Reads are reactive: a read before the bytes arrive re-renders once they do.
 */
export class ImageUrls {
  private readonly slots = new Map<string, ReturnType<typeof createSignal<string | null>>>();

  /** The object URL for `key`, or null while loading (`fetch` is called on the first read only). */
  get(key: string, fetch: () => Promise<Blob>): string | null {
    let slot = this.slots.get(key);
    if (!slot) {
      this.slots.set(key, (slot = createSignal<string | null>(null)));
      const set = slot[1];
      fetch().then(
        (b) => set(URL.createObjectURL(b)),
        () => this.slots.delete(key), // tried again at the next read
      );
    }
    return slot[0]();
  }

  dispose(): void {
    for (const [, [url]] of this.slots) {
      const u = url();
      if (u) URL.revokeObjectURL(u);
    }
    this.slots.clear();
  }
}
