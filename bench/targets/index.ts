/** Every benchmarked system, by name. */
import { nexus } from "./nexus.ts";
import { nexusCluster, nexusRegions } from "./nexusCluster.ts";
import { rawBun } from "./rawBun.ts";
import { socketio } from "./socketio.ts";
import type { Target, TargetName } from "./types.ts";

export const targets: Record<TargetName, Target> = { rawBun, socketio, nexus, nexusCluster, nexusRegions };
