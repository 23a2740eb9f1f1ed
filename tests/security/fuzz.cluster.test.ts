/**
 * The fuzz suite against cluster mode, every request and socket through an edge-only node; restart =
 * kill -9 of the actor node. Fewer runs: every request crosses NATS and the shared libSQL server.
 */
import { startClusterTarget } from "../cluster/target.ts";
import { fuzzSuite } from "./fuzz.ts";

fuzzSuite("cluster (edge node → actor node)", startClusterTarget, { runs: 8 });
