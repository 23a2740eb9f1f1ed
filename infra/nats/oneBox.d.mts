/** Types for oneBox.mjs (plain ESM, also run by Node). */
export declare const NATS_ON_ONE_BOX_ENV: Record<string, string>;
