/** The conformance suite against cluster mode, every request and socket through an edge-only node. */
import { conformanceSuite } from "../conformance/suite.ts";
import { startClusterTarget } from "./target.ts";

conformanceSuite("cluster (edge node → actor node)", startClusterTarget);
