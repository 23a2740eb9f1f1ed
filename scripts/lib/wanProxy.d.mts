/** Types of wanProxy.mjs. */
export interface WanProxy {
  readonly port: number;
  readonly delayMs: number;
  /** Cut every connection and drop new ones until resume() (a partition). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}
export declare function startWanProxy(opts: { target: { host?: string; port: number }; delayMs: number; listenPort?: number; host?: string }): Promise<WanProxy>;
