/** The conformance suite against the Bun host (what `npm start` runs). */
import { conformanceSuite } from "../conformance/suite.ts";
import { startBunHost } from "./target.ts";

conformanceSuite("bun host", startBunHost);
