/**
 * The shared conformance suite against the real Worker + Durable Objects in workerd (Miniflare on a
 * free loopback port, real HTTP and WebSocket clients). Restartable: restart() SIGKILLs workerd and
 * starts it again on the same persisted DO/R2 storage, so durability is checked here too.
 * workerd exposes no send-buffer size for a server WebSocket, so the slow-consumer drop is not
 * checked here (docs/protocol.md, guarantee 7).
 */
import { conformanceSuite } from "../conformance/suite.ts";
import { startNexusWorker } from "./worker.ts";

conformanceSuite("cloudflare (workerd via Miniflare)", (env) => startNexusWorker(env), { restartable: true });
