/** Types of prng.mjs. */
export declare function prng(seed: number): () => number;
