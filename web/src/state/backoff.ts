/**
 * Reconnect delays: exponential with "full jitter" (AWS architecture blog), so that a server
 * restart does not bring every client back in the same millisecond. Pure: the random source is
 * injected so tests can pin it.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly opts: BackoffOptions = { baseMs: 500, maxMs: 15_000 }) {
    this.random = opts.random ?? Math.random;
  }

  /** Delay before the next attempt; grows until `maxMs`. The first retry waits at most `baseMs`. */
  next(): number {
    const ceiling = Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    // Never 0: a floor of 10% keeps a tight failure loop from spinning.
    return Math.round(ceiling * (0.1 + 0.9 * this.random()));
  }

  /** Call once a connection has proven healthy. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
