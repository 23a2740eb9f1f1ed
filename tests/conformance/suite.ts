/**
 * The one host-independent conformance suite. A host is done when it passes:
 *
 *   import { conformanceSuite } from "../conformance/suite.ts";
 *   conformanceSuite("bun host", (env) => startBunHost(env));
 *
 * Each guarantee lives in its own file and starts its own target (with the limits it needs) via the
 * factory, so guarantees do not disturb one another and a failure points at one guarantee.
 */
import { describe, setDefaultTimeout } from "bun:test";
import { abuseTests } from "./abuse.ts";
import { authorizationTests } from "./authorization.ts";
import { durabilityTests } from "./durability.ts";
import { eventTests } from "./events.ts";
import { groupProfileTests } from "./groupProfile.ts";
import { idempotencyTests } from "./idempotency.ts";
import { limitsTests } from "./limits.ts";
import { mentionTests } from "./mentions.ts";
import { notificationTests } from "./notifications.ts";
import { pinTests } from "./pins.ts";
import { peopleTests } from "./people.ts";
import { orderTests } from "./order.ts";
import { resumeTests } from "./resume.ts";
import { storedTextTests } from "./storedText.ts";
import { threadTests } from "./threads.ts";
import type { SuiteOptions, TargetFactory } from "./target.ts";
import { typingTests } from "./typing.ts";

export type { Target, TargetFactory, SuiteOptions } from "./target.ts";
export { LimitEnv } from "./target.ts";

export function conformanceSuite(name: string, target: TargetFactory, opts: SuiteOptions = {}): void {
  // Tests start servers and push thousands of messages; bun's 5 s default (bunfig has no say) is too short.
  setDefaultTimeout(60_000);
  describe(name, () => {
    orderTests(target);
    durabilityTests(target, opts);
    idempotencyTests(target);
    resumeTests(target);
    authorizationTests(target);
    typingTests(target);
    abuseTests(target);
    limitsTests(target);
    eventTests(target);
    storedTextTests(target, opts);
    mentionTests(target, opts);
    pinTests(target);
    threadTests(target);
    notificationTests(target);
    peopleTests(target);
    groupProfileTests(target);
  });
}
