/** Small real images for tests of avatars (edge/routes/profiles.ts). */

/** A 3×2 blue PNG. */
export const TINY_PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAYAAACddGYaAAAAE0lEQVR4AWM0TjvznwEKmBiQAAA3FwJoiQg8EQAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);
