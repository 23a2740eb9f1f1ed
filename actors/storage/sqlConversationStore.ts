/**
 * Storage of one conversation actor over `Sql`. The actor is the only writer, so it may keep state
 * in memory and only ever append / patch through `commit`, which is one atomic batch.
 */
import { movedError, type ConfirmMoved } from "./movedCheck.ts";
import { clearMoved, movedSchema, movedTo } from "./conversationTransfer.ts";
import { NexusError } from "../../protocol/errors.ts";
import { wordsOf, type Attachment, type CallEvent, type ConversationEvent, type GroupProfile, type Member, type MessageEvent, type MessageSearch,
  type Role, type ThreadSummary } from "../../protocol/index.ts";
import type { CommitChain, Sql, SqlValue, Statement } from "./sql.ts";
import { conversationSchema } from "./conversationSchema.ts";
import { dropInlineSearchSchema, inlineSearchSchema } from "./inlineSearch.ts";
import { SearchIndexer } from "./searchIndexer.ts";
import { AttachmentBlobs } from "./attachmentBlobs.ts";
import { EVENT_COLS, insertEvents, rowToEvent, type EventRow } from "./eventRows.ts";
import { threadReplyStatements, threadSchema, ThreadStore } from "./threadStore.ts";
import { searchMessages } from "./messageSearch.ts";
import type { FenceStay } from "./ownerFence.ts";
import { WriterFence, type FenceStatements } from "./writerFence.ts";
import { loadGroupProfile } from "./groupProfileRows.ts";
import { readCursorStatements } from "./readCursorRows.ts";

export interface LoadedConversation {
  type: "direct" | "group";
  title: string;
  /** A group's picture and description: from its newest `profile` event. */
  profile: GroupProfile;
  epoch: string;
  members: Array<Member & { readSeq: number }>;
  lastSeq: number;
  lastTs: number;
  /** The last message, or the last call when it came after it (the list's preview). */
  lastMessage: MessageEvent | CallEvent | null;
  /** (author, clientId, seq, ts) of the newest events that carry a clientId, newest first. */
  recentClientIds: Array<[author: string, clientId: string, seq: number, ts: number]>;
  /** Every event with a clientId and a seq above this is in `recentClientIds`. */
  clientIdFloor: number;
}

export interface MessagePatch {
  seq: number;
  text?: string;
  editedTs?: number;
  deleted?: boolean;
  /** With `deleted`: the message's attachments, which stop being downloadable. */
  attachmentIds?: string[];
  reactions?: Record<string, string[]>;
  /** Pinned (by, ts) or unpinned (null): kept in the message's `body` JSON. */
  pinned?: { by: string; ts: number } | null;
  /** A thread root's summary after a reply (protocol/threads.ts), in its `body` JSON. */
  thread?: ThreadSummary;
}

export interface Commit {
  create?: { type: "direct" | "group"; title: string; epoch: string; ts: number };
  events: ConversationEvent[];
  patches: MessagePatch[];
  memberUpserts: Member[];
  memberRemovals: string[];
  title?: string;
  reads: Array<[userId: string, seq: number]>;
  attachments: Attachment[];
}

export const emptyCommit = (): Commit => ({ events: [], patches: [], memberUpserts: [], memberRemovals: [], reads: [], attachments: [] });

/** How many of the newest clientIds an actor keeps in memory (and loads when it starts). */
export const CLIENT_ID_WINDOW = 5000;

/** Kinds that history pages show; edit/delete/reaction are folded into their message rows. */
const PAGE_KINDS = "('message','member','rename','profile','created','call')";
/** Thread replies are not in the main timeline (protocol/threads.ts): pages and unread counts skip them. */
const NOT_REPLY = "json_extract(body, '$.threadRoot') IS NULL";

export class SqlConversationStore {
  private readonly indexer: SearchIndexer;
  /** Thread replies, followers and their read cursors (threadStore.ts). */
  readonly threads: ThreadStore;

  /** Tables are not there yet and are made by the first commit (see `SqlConversationStore.open`). */
  private schemaPending: boolean;

  /** Cluster mode: is a tombstone naming `region` current (the home really moved there)? */
  private readonly confirmMoved: ConfirmMoved | undefined;

  /** Cluster mode: the token this writer's commits carry (ownerFence.ts, writerFence.ts). */
  private readonly fence: WriterFence | undefined;

  constructor(private readonly sql: Sql, readonly conversationId: string,
    opts: { schemaPending?: boolean; confirmMoved?: ConfirmMoved; fence?: FenceStay } = {}) {
    this.confirmMoved = opts.confirmMoved;
    this.fence = opts.fence && new WriterFence(opts.fence, sql, conversationId);
    this.indexer = SearchIndexer.for(sql);
    this.threads = new ThreadStore(sql, conversationId);
    this.schemaPending = opts.schemaPending ?? false;
  }

  /**
   * A store in a database of its own (a Durable Object): any signed-in user can address any
   * conversation id, and making the tables on a mere lookup would leave a stored, billed object
   * behind for every id probed. So a database without the conversation tables gets them with its
   * first commit (creating the conversation: nothing else commits while none exists), and until
   * then it holds no conversation. A database that has them is migrated at once (new columns,
   * indexes).
   */
  static async open(sql: Sql, conversationId: string): Promise<SqlConversationStore> {
    const made = await sql.first("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'conversations'");
    if (made) await SqlConversationStore.migrate(sql);
    return new SqlConversationStore(sql, conversationId, { schemaPending: !made });
  }

  /** Where this database's dropped attachment bytes go, and how long an upload may wait for a message. */
  get attachmentBlobs(): AttachmentBlobs {
    return AttachmentBlobs.for(this.sql);
  }

  static async migrate(sql: Sql): Promise<void> {
    await sql.migrate([...conversationSchema, ...threadSchema, ...movedSchema]);
    await sql.migrate(sql.separateIndex ? dropInlineSearchSchema : inlineSearchSchema);
  }

  async load(): Promise<LoadedConversation | null> {
    if (this.schemaPending) return null;
    const id = this.conversationId;
    await this.fence?.beforeLoad();
    // Moved (or moving) to another region's database (cluster mode): whoever still routes here must
    // look again, unless the host finds the move never happened (then this copy is current again).
    const to = await movedTo(this.sql, id);
    if (to !== null) {
      const check = this.confirmMoved && (await this.confirmMoved(to));
      if (!check || !check.current) throw movedError(`conversation ${id}`, to, check || undefined);
      await clearMoved(this.sql, id);
    }
    const conv = await this.sql.first<{ type: string; title: string; epoch: string }>(
      "SELECT type, title, epoch FROM conversations WHERE id = ?", [id]);
    if (!conv) return null;
    if (this.fence && !(await this.fence.found())) return this.load();
    // At once rather than one after another: a failover's new owner loads while clients wait (#16).
    // Nothing else writes meanwhile (this is the one writer; a fenced one cannot commit).
    const [members, last, lastMsg, recent, profile] = await Promise.all([
      this.sql.all<{ user_id: string; username: string; role: string; read_seq: number }>(
        "SELECT user_id, username, role, read_seq FROM members WHERE conv_id = ? ORDER BY rowid", [id]),
      this.sql.first<{ seq: number; ts: number }>("SELECT seq, ts FROM events WHERE conv_id = ? ORDER BY seq DESC LIMIT 1", [id]),
      this.sql.first<EventRow>(
        `SELECT ${EVENT_COLS} FROM events WHERE conv_id = ? AND kind IN ('message', 'call') ORDER BY seq DESC LIMIT 1`, [id]),
      this.sql.all<{ author: string; client_id: string; seq: number; ts: number }>(
        "SELECT author, client_id, seq, ts FROM events WHERE conv_id = ? AND client_id IS NOT NULL ORDER BY seq DESC LIMIT ?", [id, CLIENT_ID_WINDOW]),
      loadGroupProfile(this.sql, id),
    ]);
    return {
      type: conv.type as "direct" | "group",
      title: conv.title,
      profile,
      epoch: conv.epoch,
      members: members.map((m) => ({ userId: m.user_id, username: m.username, role: m.role as Role, readSeq: Number(m.read_seq) })),
      lastSeq: last ? Number(last.seq) : 0,
      lastTs: last ? Number(last.ts) : 0,
      lastMessage: lastMsg ? (rowToEvent(lastMsg) as MessageEvent | CallEvent) : null,
      recentClientIds: recent.map((r) => [r.author, r.client_id, Number(r.seq), Number(r.ts)]),
      // A full window may have left older ones out: below its oldest seq, look in storage.
      clientIdFloor: recent.length < CLIENT_ID_WINDOW ? 0 : Number(recent[recent.length - 1]!.seq) - 1,
    };
  }

  /** Seq and ts of events stored under these (author, clientId) keys with a seq in (after, upTo].
   *  There is no index on clientIds (see conversationSchema.ts): this walks the log from `after`,
   *  so callers bound the range (a client's `base`, the actor's in-memory window). */
  async findClientIds(keys: Array<{ author: string; clientId: string }>, after: number, upTo: number): Promise<Map<string, [number, number]>> {
    const found = new Map<string, [number, number]>();
    if (keys.length === 0 || upTo <= after) return found;
    // Chunked to stay under SQLite's parameter limit.
    for (let i = 0; i < keys.length; i += 400) {
      const chunk = keys.slice(i, i + 400);
      const rows = await this.sql.all<{ author: string; client_id: string; seq: number; ts: number }>(
        `SELECT author, client_id, seq, ts FROM events WHERE conv_id = ? AND seq > ? AND seq <= ? AND client_id IN (${chunk.map(() => "?").join(",")})`,
        [this.conversationId, after, upTo, ...chunk.map((k) => k.clientId)]);
      for (const r of rows) found.set(r.author + "\u0000" + r.client_id, [Number(r.seq), Number(r.ts)]);
    }
    return found;
  }

  /** One atomic batch. A function is called when the Sql takes the batch into a transaction
   *  (sql.ts BatchStatements); `chain`: pipelined batches of this conversation (sql.ts CommitChain). */
  commit(c: Commit | (() => Commit), chain?: CommitChain): Promise<void> {
    if (this.schemaPending)
      return SqlConversationStore.migrate(this.sql).then(() => {
        this.schemaPending = false;
        return this.commit(c, chain);
      });
    return this.fence ? this.fence.commit((first) => this.write(c, chain, first)) : this.write(c, chain);
  }

  /** The batch of `c`, after the fence's statements (`first`) in cluster mode. */
  private write(c: Commit | (() => Commit), chain: CommitChain | undefined, first?: FenceStatements): Promise<void> {
    let messages = 0;
    let dropped: string[] | null = null;
    const statements = (commit: Commit) => {
      messages = commit.events.reduce((n, e) => (e.kind === "message" ? n + 1 : n), 0);
      for (const p of commit.patches) if (p.deleted && p.attachmentIds?.length) (dropped ??= []).push(...p.attachmentIds);
      return this.statements(commit, first?.(commit.create !== undefined) ?? []);
    };
    const done = this.sql.batch(typeof c === "function" ? () => statements(c()) : statements(c), chain);
    return done.then(() => {
      if (messages > 0) this.indexer.noteWrites(messages);
      // Only now that the rows are gone for good may their bytes go (attachmentBlobs.ts).
      if (dropped) this.attachmentBlobs.dropped(this.conversationId, dropped);
    });
  }

  private statements(c: Commit, first: Statement[]): Statement[] {
    const id = this.conversationId;
    const st: Statement[] = [...first];
    if (c.create)
      st.push({ sql: "INSERT INTO conversations (id, type, title, epoch, created_ts) VALUES (?, ?, ?, ?, ?)",
        args: [id, c.create.type, c.create.title, c.create.epoch, c.create.ts] });
    if (c.title !== undefined) st.push({ sql: "UPDATE conversations SET title = ? WHERE id = ?", args: [c.title, id] });
    for (const m of c.memberUpserts)
      st.push({ sql: `INSERT INTO members (conv_id, user_id, username, role) VALUES (?, ?, ?, ?)
                      ON CONFLICT (conv_id, user_id) DO UPDATE SET role = excluded.role`, args: [id, m.userId, m.username, m.role] });
    for (const u of c.memberRemovals) st.push({ sql: "DELETE FROM members WHERE conv_id = ? AND user_id = ?", args: [id, u] });
    insertEvents(id, c.events, st);
    threadReplyStatements(id, c.events as Array<{ kind: string; seq: number; author: string; threadRoot?: number; mentions?: string[] }>, st);
    for (const p of c.patches) {
      if (p.deleted) {
        // The body goes, but for where the message stands in a thread (a reply's root, a root's summary).
        st.push({ sql: `UPDATE events SET deleted = 1, text = '', reactions = NULL, body = NULLIF(json_patch('{}', json_object(
                          'threadRoot', json_extract(body, '$.threadRoot'), 'thread', json(json_extract(body, '$.thread')))), '{}')
                        WHERE conv_id = ? AND seq = ?`, args: [id, p.seq] });
        // The message's edit events keep their text in the log; blank it too, or a resume replay would show it.
        st.push({ sql: "UPDATE events SET text = '' WHERE conv_id = ? AND seq > ? AND kind = 'edit' AND json_extract(body, '$.target') = ?",
          args: [id, p.seq, p.seq] });
        for (const a of p.attachmentIds ?? [])
          st.push({ sql: "DELETE FROM attachments WHERE conv_id = ? AND id = ?", args: [id, a] });
      }
      if (p.text !== undefined)
        st.push({ sql: "UPDATE events SET text = ?, edited_ts = ? WHERE conv_id = ? AND seq = ?", args: [p.text, p.editedTs ?? null, id, p.seq] });
      if (p.reactions !== undefined)
        st.push({ sql: "UPDATE events SET reactions = ? WHERE conv_id = ? AND seq = ?",
          args: [Object.keys(p.reactions).length ? JSON.stringify(p.reactions) : null, id, p.seq] });
      if (p.pinned !== undefined)
        st.push(p.pinned
          ? { sql: "UPDATE events SET body = json_set(COALESCE(body, '{}'), '$.pinned', json(?)) WHERE conv_id = ? AND seq = ?", args: [JSON.stringify(p.pinned), id, p.seq] }
          : { sql: "UPDATE events SET body = json_remove(body, '$.pinned') WHERE conv_id = ? AND seq = ?", args: [id, p.seq] });
      if (p.thread)
        st.push({ sql: "UPDATE events SET body = json_set(COALESCE(body, '{}'), '$.thread', json(?)) WHERE conv_id = ? AND seq = ?", args: [JSON.stringify(p.thread), id, p.seq] });
    }
    readCursorStatements(id, c.reads, st);
    for (const a of c.attachments)
      st.push({ sql: "INSERT INTO attachments (conv_id, id, name, type, size, uploaded_by, created_ts) VALUES (?, ?, ?, ?, ?, ?, ?)",
        args: [id, a.id, a.name, a.type, a.size, a.uploadedBy, a.createdAt] });
    return st;
  }

  /**
   * Where to read the log up to `seq` (known committed): the local replica when it already holds
   * that event (it is a consistent prefix, so it holds everything before it too), or once a sync
   * brought it (only a warm replica is waited for); the primary otherwise. Never a stale answer.
   */
  private async readerUpTo(seq: number): Promise<Pick<Sql, "all">> {
    const replica = this.sql.replica;
    if (!replica) return this.sql;
    const has = async () => {
      if (seq <= 0) return true;
      try {
        return (await replica.all("SELECT 1 AS x FROM events WHERE conv_id = ? AND seq = ?", [this.conversationId, seq])).length > 0;
      } catch (e) {
        // A replica from before the tables were made (first start): it trails, like any other.
        if (/no such table/i.test(String((e as Error)?.message))) return false;
        throw e;
      }
    };
    replica.noteRead();
    try {
      if (await has()) return (replica.stats.reads++, replica);
      // A cold replica (idle: nobody read it for a while) would pull everything written since; the
      // server answers this read at once, and the replica warms up in the background.
      if (replica.warm) {
        replica.stats.syncs++;
        await replica.sync();
        if (await has()) return (replica.stats.reads++, replica);
      }
    } catch (e) {
      // E.g. a schema migrated by a newer node while this replica connection was open.
      console.error(`[store] replica read failed (${(e as Error)?.message ?? e}); reading the primary`);
    }
    replica.stats.fallbacks++;
    return this.sql;
  }

  /** The raw log after `after`, up to and including `upTo` (resume replay). */
  async range(after: number, upTo: number): Promise<ConversationEvent[]> {
    const rows = await (await this.readerUpTo(upTo)).all<EventRow>(
      `SELECT ${EVENT_COLS} FROM events WHERE conv_id = ? AND seq > ? AND seq <= ? ORDER BY seq`, [this.conversationId, after, upTo]);
    return rows.map(rowToEvent);
  }

  /** A history page (materialized), ascending, strictly before `before`. `newest` is the newest
   *  committed seq the caller knows of (the page must show it, and every edit up to it). */
  async page(before: number | undefined, limit: number, newest = Number.MAX_SAFE_INTEGER): Promise<{ events: ConversationEvent[]; hasMore: boolean }> {
    // Rows before `before` carry edits, deletes and reactions made by any later event, so the
    // replica must hold `newest` itself, not just the page's last seq.
    return this.pageFrom(newest === Number.MAX_SAFE_INTEGER ? this.sql : await this.readerUpTo(newest), before, limit);
  }

  private async pageFrom(reader: Pick<Sql, "all">, before: number | undefined, limit: number): Promise<{ events: ConversationEvent[]; hasMore: boolean }> {
    const rows = await reader.all<EventRow>(
      `SELECT ${EVENT_COLS} FROM events WHERE conv_id = ? AND seq < ? AND kind IN ${PAGE_KINDS} AND ${NOT_REPLY} ORDER BY seq DESC LIMIT ?`,
      [this.conversationId, before ?? Number.MAX_SAFE_INTEGER, limit + 1]);
    const hasMore = rows.length > limit;
    if (hasMore) rows.pop();
    return { events: rows.reverse().map(rowToEvent), hasMore };
  }

  /** The newest stored seq, from the primary (a read-only actor compares it with its own). */
  async head(): Promise<number> {
    const r = await this.sql.first<{ seq: number }>("SELECT seq FROM events WHERE conv_id = ? ORDER BY seq DESC LIMIT 1", [this.conversationId]);
    return r ? Number(r.seq) : 0;
  }

  /** While the primary cannot be reached: the conversation as the local replica has it (it may
   *  trail), so an actor that no node had loaded before the outage can still serve reads (read-only,
   *  storageOutage.ts). The same reads as `load`, on the replica; nothing can be written through it. */
  async staleLoad(): Promise<LoadedConversation | null> {
    const replica = this.sql.replica;
    if (!replica) throw new NexusError("storage_unavailable", "storage is unreachable and there is no local replica");
    const refuse = () => Promise.reject(new NexusError("storage_unavailable", "read-only: the primary is unreachable"));
    const reads: Sql = {
      all: (q, a) => replica.all(q, a),
      first: async <T>(q: string, a?: SqlValue[]) => (await replica.all<T>(q, a))[0],
      run: refuse, batch: refuse, migrate: refuse,
    };
    return new SqlConversationStore(reads, this.conversationId).load();
  }

  /** While the primary cannot be reached: a page from the local replica as it is (it may trail). */
  async stalePage(before: number | undefined, limit: number): Promise<{ events: ConversationEvent[]; hasMore: boolean }> {
    const replica = this.sql.replica;
    if (!replica) throw new NexusError("storage_unavailable", "storage is unreachable and there is no local replica");
    return this.pageFrom(replica, before, limit);
  }

  /** While the primary cannot be reached: the raw log in (after, upTo] from the local replica, as
   *  far as it has it (the caller checks for gaps). */
  async staleRange(after: number, upTo: number): Promise<ConversationEvent[]> {
    const replica = this.sql.replica;
    if (!replica) throw new NexusError("storage_unavailable", "storage is unreachable and there is no local replica");
    const rows = await replica.all<EventRow>(
      `SELECT ${EVENT_COLS} FROM events WHERE conv_id = ? AND seq > ? AND seq <= ? ORDER BY seq`, [this.conversationId, after, upTo]);
    return rows.map(rowToEvent);
  }

  async getMessage(seq: number): Promise<MessageEvent | null> {
    const r = await this.sql.first<EventRow>(
      `SELECT ${EVENT_COLS} FROM events WHERE conv_id = ? AND seq = ? AND kind = 'message'`, [this.conversationId, seq]);
    return r ? (rowToEvent(r) as MessageEvent) : null;
  }

  /** Messages and missed calls by others after `afterSeq` (up to `upTo`), not deleted. */
  async countUnread(userId: string, afterSeq: number, upTo = Number.MAX_SAFE_INTEGER): Promise<number> {
    const r = await this.sql.first<{ n: number }>(
      `SELECT COUNT(*) AS n FROM events WHERE conv_id = ? AND seq > ? AND seq <= ? AND author <> ? AND deleted = 0
         AND (kind = 'message' OR (kind = 'call' AND json_extract(body, '$.outcome') = 'missed')) AND ${NOT_REPLY}`,
      [this.conversationId, afterSeq, upTo, userId]);
    return r ? Number(r.n) : 0;
  }

  /** The pinned messages, newest first (at most `limit`). The WHERE repeats the partial index's
   *  (conversationSchema.ts events_pinned) so SQLite reads the pins only, not the whole log. */
  async pins(limit = 100): Promise<MessageEvent[]> {
    const rows = await this.sql.all<EventRow>(
      `SELECT ${EVENT_COLS} FROM events WHERE conv_id = ? AND kind = 'message' AND json_extract(body, '$.pinned') IS NOT NULL
         AND deleted = 0 ORDER BY seq DESC LIMIT ?`, [this.conversationId, limit]);
    return rows.map((r) => rowToEvent(r) as MessageEvent);
  }

  /** Unread messages after `afterSeq` (up to `upTo`) that mention `userId`, "@all" or "@here":
   *  mentions live in the `body` JSON (no column, no migration), read with json_each. */
  async countMentions(userId: string, afterSeq: number, upTo = Number.MAX_SAFE_INTEGER): Promise<number> {
    const r = await this.sql.first<{ n: number }>(
      `SELECT COUNT(*) AS n FROM events WHERE conv_id = ? AND seq > ? AND seq <= ? AND kind = 'message' AND author <> ? AND deleted = 0
         AND body LIKE '%"mentions"%' AND EXISTS (SELECT 1 FROM json_each(events.body, '$.mentions') j WHERE j.value IN (?, '@all', '@here'))
         AND ${NOT_REPLY}`,
      [this.conversationId, afterSeq, upTo, userId, userId]);
    return r ? Number(r.n) : 0;
  }

  /** Messages matching `q` (messageSearch.ts; a string: its words), newest first. */
  search(q: MessageSearch | string, limit: number): Promise<MessageEvent[]> {
    return searchMessages(this.sql, this.indexer, this.conversationId, typeof q === "string" ? { words: wordsOf(q) } : q, limit);
  }

  async attachments(ids: string[]): Promise<Attachment[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql.all<{ id: string; name: string; type: string; size: number; uploaded_by: string; created_ts: number }>(
      `SELECT id, name, type, size, uploaded_by, created_ts FROM attachments WHERE conv_id = ? AND id IN (${ids.map(() => "?").join(",")})`,
      [this.conversationId, ...ids]);
    return rows.map((r) => ({ id: r.id, name: r.name, type: r.type, size: Number(r.size), conversationId: this.conversationId,
      uploadedBy: r.uploaded_by, createdAt: Number(r.created_ts) }));
  }
}
