/**
 * The authorization matrix (authzMatrix.ts) against cluster mode: one cluster for the whole table
 * (an actor node and an edge-only node; every request and socket goes through the edge node, so each
 * answer crossed NATS RPC or a bridged socket).
 */
import { startClusterTarget } from "../cluster/target.ts";
import { authzSuite } from "./authzSuite.ts";

authzSuite("cluster (edge node → actor node)", startClusterTarget);
