/**
 * Creating a conversation: the first commit of its log, done once. Creating what exists is a retry
 * (direct ids come from the pair, group ids from the creator's clientId), answered with what exists;
 * concurrent creates wait for the one under way. Every member's inbox row is stored after the commit.
 */
import { NexusError, type ConversationInfo } from "../../protocol/index.ts";
import type { CreateConversation } from "../api.ts";
import type { Caller } from "../ports.ts";
import type { ConversationDeps } from "./deps.ts";
import type { InboxNotices } from "./inboxNotices.ts";
import { newConversation } from "./loadState.ts";
import { infoOf, type State } from "./state.ts";

export interface CreationHost {
  readonly id: string;
  readonly deps: ConversationDeps;
  current(): State | null;
  /** The first commit is stored: this is the conversation's state from now on. */
  created(s: State): void;
}

export class Creation {
  private running: Promise<unknown> | null = null;

  constructor(private readonly host: CreationHost, private readonly inbox: InboxNotices) {}

  /** A create is under way (the actor is not idle, and a hand-over waits for it). */
  get busy(): boolean {
    return this.running !== null;
  }

  /** The actor is loaded (`ready()`) before this is called. */
  async create(caller: Caller, init: CreateConversation): Promise<ConversationInfo> {
    while (this.running) await this.running.catch(() => {});
    const s = this.host.current();
    if (s) {
      // A retry: answer it, and store the caller's inbox row again in case the first attempt could not.
      if (s.type === init.type && s.members.has(caller.userId)) {
        await this.inbox.syncMember(caller.userId, false);
        return infoOf(this.host.id, s);
      }
      throw new NexusError("conflict", "conversation already exists");
    }
    const p = this.first(caller, init);
    this.running = p;
    try {
      return await p;
    } finally {
      this.running = null;
    }
  }

  private async first(caller: Caller, init: CreateConversation): Promise<ConversationInfo> {
    const { deps } = this.host;
    const { commit, state } = newConversation(caller, init, deps.limits, deps.clock.now(), deps.ids.random());
    await deps.store.commit(commit);
    this.host.created(state);
    await this.inbox.syncAll(state);
    return infoOf(this.host.id, state);
  }
}
