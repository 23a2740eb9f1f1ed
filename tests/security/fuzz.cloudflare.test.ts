/** The fuzz suite against the Worker + Durable Objects in workerd (Miniflare), restart = SIGKILL of workerd. */
import { startNexusWorker } from "../cloudflare/worker.ts";
import { fuzzSuite } from "./fuzz.ts";

fuzzSuite("cloudflare (workerd)", (env) => startNexusWorker(env), { restartable: true });
