/**
 * A map keyed by (author, clientId) that never builds a joined key. clientIds are unique per author,
 * so nearly every clientId has exactly one entry; a key concatenated per lookup had to be flattened
 * and hashed each time, which was about a tenth of a conversation actor's time per send.
 */
interface Entry<V> {
  author: string;
  value: V;
  next: Entry<V> | undefined;
}

export class ClientIdMap<V> {
  private readonly map = new Map<string, Entry<V>>();
  size = 0;

  get(author: string, clientId: string): V | undefined {
    for (let e: Entry<V> | undefined = this.map.get(clientId); e; e = e.next) if (e.author === author) return e.value;
    return undefined;
  }

  /** Adds, or replaces the value of an existing key. */
  set(author: string, clientId: string, value: V): void {
    const head = this.map.get(clientId);
    for (let e: Entry<V> | undefined = head; e; e = e.next)
      if (e.author === author) {
        e.value = value;
        return;
      }
    this.map.set(clientId, { author, value, next: head });
    this.size++;
  }

  delete(author: string, clientId: string): boolean {
    let prev: Entry<V> | null = null;
    for (let e: Entry<V> | undefined = this.map.get(clientId); e; prev = e, e = e.next) {
      if (e.author !== author) continue;
      if (prev) prev.next = e.next;
      else if (e.next) this.map.set(clientId, e.next);
      else this.map.delete(clientId);
      this.size--;
      return true;
    }
    return false;
  }
}
