/**
 * The message every target carries: sender id, the sender's counter, and the send time on the
 * machine's monotonic clock (process.hrtime is CLOCK_MONOTONIC, shared by every process on the box,
 * so a receiver in another process can subtract it). Padded to about 100 bytes, the size the raw Bun
 * ceiling in /work/shared/README.md was measured with. Nexus carries it as the message `text`.
 */
export interface Payload {
  /** Global sender index. */
  s: number;
  /** Per-sender counter, from 0. */
  n: number;
  /** Monotonic send time, ms with µs precision. */
  t: number;
}

const PAD = "x".repeat(48);

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function encodePayload(s: number, n: number): string {
  return `{"s":${s},"n":${n},"t":${nowMs().toFixed(3)},"p":"${PAD}"}`;
}

export function decodePayload(text: string): Payload | null {
  try {
    const p = JSON.parse(text) as Payload;
    return typeof p.s === "number" && typeof p.n === "number" && typeof p.t === "number" ? p : null;
  } catch {
    return null;
  }
}
