/** The fuzz suite against the Worker + Durable Objects in workerd (Miniflare), restart = SIGKILL of workerd. */
import { startNexusWorker } from "../cloudflare/worker.ts";
import { fuzzSuite } from "./fuzz.ts";

// Fewer runs: workerd answers each request several times slower than the Bun host on this box.
fuzzSuite("cloudflare (workerd)", (env) => startNexusWorker(env), { restartable: true, runs: 12 });
