import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

// Root is web/, output web/dist: the Bun server (hosts/bun/server.ts) serves web/dist at `/`.
const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  plugins: [solid()],
  // The emoji dataset (emojibase-data, ~570 kB) is one lazy chunk fetched when the full reaction
  // picker first opens; it is meant to be that size, so the warning starts above it.
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: true, chunkSizeWarningLimit: 600 },
  server: {
    // `npx vite --config web/vite.config.ts` during development proxies the API to a running server.
    proxy: {
      "/v1": { target: process.env.NEXUS_API ?? "http://127.0.0.1:8787", ws: true },
      "/health": process.env.NEXUS_API ?? "http://127.0.0.1:8787",
    },
  },
});
