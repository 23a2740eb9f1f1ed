/**
 * Per-receiver delivery bookkeeping: for each sender it has heard from, a bitset of the sender's
 * counters seen so far. That is enough to tell a duplicate (bit already set), an out-of-order
 * delivery (a counter below the highest one seen) and, at the end of a run, a loss (a counter the
 * sender sent in the run whose bit is still clear).
 */
class SenderTrack {
  bits = new Uint8Array(256);
  max = -1;

  has(n: number): boolean {
    const byte = n >>> 3;
    return byte < this.bits.length && (this.bits[byte]! & (1 << (n & 7))) !== 0;
  }

  set(n: number): void {
    const byte = n >>> 3;
    if (byte >= this.bits.length) {
      let size = this.bits.length * 2;
      while (size <= byte) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[byte]! |= 1 << (n & 7);
  }
}

export type Verdict = "ok" | "dup" | "ooo";

export class OrderTracker {
  private senders = new Map<number, SenderTrack>();

  /** Records counter `n` from `sender` and says whether it was new and in order. */
  see(sender: number, n: number): Verdict {
    let t = this.senders.get(sender);
    if (!t) this.senders.set(sender, (t = new SenderTrack()));
    if (t.has(n)) return "dup";
    t.set(n);
    if (n < t.max) return "ooo";
    t.max = n;
    return "ok";
  }

  /** Counters in [from, to) from `sender` never seen. */
  missing(sender: number, from: number, to: number): number {
    const t = this.senders.get(sender);
    if (!t) return Math.max(0, to - from);
    let lost = 0;
    for (let n = from; n < to; n++) if (!t.has(n)) lost++;
    return lost;
  }
}
