import { type Accessor, createSignal, onCleanup } from "solid-js";

/**
 * Bridge from the plain-TS state classes (they expose `subscribe`) to Solid: read the returned
 * accessor inside a memo or JSX and it re-runs whenever the object says it changed.
 */
export interface Subscribable {
  subscribe(fn: () => void): () => void;
}

export function track(obj: Subscribable): Accessor<number> {
  const [version, setVersion] = createSignal(0);
  const off = obj.subscribe(() => setVersion((v) => v + 1));
  onCleanup(off);
  return version;
}
