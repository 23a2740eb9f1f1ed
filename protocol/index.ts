/** The one protocol module: imported by edge, actors and web alike. */
export * from "./errors.ts";
export * from "./limits.ts";
export * from "./events.ts";
export * from "./frames.ts";
export * from "./flow.ts";
export * from "./rest.ts";
export * from "./searchQuery.ts";
export * from "./notify.ts";
export * from "./storableText.ts";
export * from "./serverFrames.ts";
