/** The fuzz suite against the Bun host (what `npm start` runs), including a kill -9 and restart. */
import { startBunHost } from "../bun-host/target.ts";
import { fuzzSuite } from "./fuzz.ts";

fuzzSuite("bun host", startBunHost);
