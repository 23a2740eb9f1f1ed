/**
 * Threads in the conversation actor (protocol/threads.ts): thread pages, following, reading, and the
 * unread thread-reply counts of followers (State.threads), counted in storage (threadStore.ts) after
 * each change and sent to their inboxes. Which message a reply may hang under is threadRules.ts.
 */
import { NexusError, type ConversationEvent, type MessageEvent } from "../../protocol/index.ts";
import type { ThreadPage } from "../api.ts";
import type { SqlConversationStore } from "../storage/sqlConversationStore.ts";
import type { State } from "./state.ts";

export interface ThreadHost {
  readonly id: string;
  readonly store: SqlConversationStore;
  current(): State | null;
  /** A member's counts changed: tell their inbox. */
  notify(userId: string): void;
  /** A message as the actor knows it now (recent window), if it does. */
  recent(seq: number): MessageEvent | undefined;
}

export class Threads {
  /** Recounts run one after another, so an older count never overwrites a newer one. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly h: ThreadHost) {}

  /** At load: every follower's count. */
  async load(s: State): Promise<void> {
    s.threads = await this.h.store.threads.unread();
  }

  /** Committed events: followers of a thread that got a reply (or lost one) are counted again. */
  appended(events: ConversationEvent[]): void {
    let roots: Set<number> | null = null;
    for (const e of events) {
      const root = e.kind === "message" ? e.threadRoot : e.kind === "delete" ? this.h.recent(e.target)?.threadRoot : undefined;
      if (root !== undefined) (roots ??= new Set()).add(root);
    }
    if (roots) for (const root of roots) this.recount(async () => (await this.h.store.threads.followers(root)).map((f) => f.userId));
  }

  async page(caller: string, root: number, after: number | undefined, limit: number): Promise<ThreadPage> {
    const r = await this.h.store.getMessage(root);
    if (!r || r.threadRoot !== undefined) throw new NexusError("not_found", `no thread at ${root}`);
    const [{ replies, hasMore }, followers] = await Promise.all([this.h.store.threads.replies(root, after ?? root, limit), this.h.store.threads.followers(root)]);
    const mine = followers.find((f) => f.userId === caller);
    return { root: r, replies, hasMore, followers: followers.filter((f) => f.following).map((f) => f.userId),
      following: mine?.following ?? false, readSeq: mine?.readSeq ?? 0 };
  }

  async follow(caller: string, root: number, on: boolean): Promise<void> {
    const r = await this.h.store.getMessage(root);
    if (!r || r.threadRoot !== undefined) throw new NexusError("not_found", `no thread at ${root}`);
    // A new follower starts with what is there read (the latest reply, or the root itself).
    await this.h.store.threads.follow(root, caller, on, this.h.recent(root)?.thread?.lastSeq ?? r.thread?.lastSeq ?? root);
    await this.recountNow([caller]);
  }

  async read(caller: string, root: number, seq: number): Promise<void> {
    await this.h.store.threads.read(root, caller, seq);
    await this.recountNow([caller]);
  }

  private recountNow(users: string[]): Promise<void> {
    return this.recount(async () => users);
  }

  private recount(who: () => Promise<string[]>): Promise<void> {
    const run = this.chain.then(async () => {
      const s = this.h.current();
      if (!s) return;
      const users = (await who()).filter((u) => s.members.has(u));
      if (users.length === 0) return;
      const counts = await this.h.store.threads.unread(users);
      s.threads ??= new Map();
      for (const [u, n] of counts) {
        if ((s.threads.get(u) ?? 0) === n) continue;
        s.threads.set(u, n);
        this.h.notify(u);
      }
    });
    // A failed count is logged; the next change counts again.
    this.chain = run.catch((e) => console.error(`[conversation ${this.h.id}] thread counts failed`, e));
    return run;
  }
}
