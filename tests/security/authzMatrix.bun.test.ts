/** The authorization matrix (authzMatrix.ts) against the Bun host. */
import { startBunHost } from "../bun-host/target.ts";
import { authzSuite } from "./authzSuite.ts";

authzSuite("bun host", startBunHost);
