/** Which client half to use for a target, inside a load-generator process. */
import { nexusClient } from "../targets/nexus.client.ts";
import { rawBunClient } from "../targets/rawBun.client.ts";
import { socketioClient } from "../targets/socketio.client.ts";
import type { TargetClient, TargetName } from "../targets/types.ts";

export const clients: Record<TargetName, TargetClient> = {
  rawBun: rawBunClient,
  socketio: socketioClient,
  nexus: nexusClient,
  nexusCluster: nexusClient,
  nexusRegions: nexusClient,
};
