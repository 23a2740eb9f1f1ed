/** The authorization matrix (authzMatrix.ts) against the Worker + Durable Objects in workerd. */
import { startNexusWorker } from "../cloudflare/worker.ts";
import { authzSuite } from "./authzSuite.ts";

authzSuite("cloudflare (workerd)", (env) => startNexusWorker(env));
