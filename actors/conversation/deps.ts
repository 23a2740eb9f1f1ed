/** What a host gives a conversation actor: its storage, time, ids, the mesh to other actors, limits. */
import type { Limits } from "../../protocol/index.ts";
import type { ActorMesh, Clock, Ids, Publisher } from "../ports.ts";
import type { SqlConversationStore } from "../storage/sqlConversationStore.ts";

export interface ConversationDeps {
  store: SqlConversationStore;
  clock: Clock;
  ids: Ids;
  mesh: ActorMesh;
  limits: Limits;
  /** The host's native pub/sub, when it has one. */
  publish?: Publisher;
  /** Storage may now differ from this actor's state (storage.mayHaveDiverged): the actor has stopped
   *  writing and closed its sockets; the host replaces it with one loaded from storage. A host
   *  without it keeps the actor (its store reports only definite failures). */
  onDiverged?: () => void;
}
