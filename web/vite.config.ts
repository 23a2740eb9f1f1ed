import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

// Root is web/, output web/dist: the Bun server (hosts/bun/server.ts) serves web/dist at `/`.
const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  plugins: [solid()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: true },
  server: {
    // `npx vite --config web/vite.config.ts` during development proxies the API to a running server.
    proxy: {
      "/v1": { target: process.env.NEXUS_API ?? "http://127.0.0.1:8787", ws: true },
      "/health": process.env.NEXUS_API ?? "http://127.0.0.1:8787",
    },
  },
});
