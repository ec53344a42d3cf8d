/**
 * The ledger service: one append-only Merkle log per tenant, group-committed to the store,
 * checkpointed and signed at a cadence. One process writes a tenant's log (the tree state lives
 * in its memory); a second writer would fail on the primary key rather than fork the log.
 */
import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import { systemClock, type Clock } from '../core/index.js';
import type { Store } from '../store/index.js';
import { Alarms } from './alarm.js';
import { openCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.js';
import { checkEntry, encodeEntryText, type AuditEntry } from './entry.js';
import {
  checkpointInconsistent,
  checkpointRejected,
  entryNotFound,
  badTreeSize,
  ledgerClosed,
  logIntegrity,
} from './errors.js';
import { HASH_SIZE, consistencyPath, inclusionPath, verifyConsistency } from './merkle.js';
import { verifyCosignatures, type VerifiedCosignature } from './cosignature.js';
import { ed25519NoteSigner, formatVerifierKey, type NoteSigner, type VerifierKey } from './note.js';
import { bytesEqual, ed25519Signer, toBase64 } from './primitives.js';
import { LedgerIndexer, type IndexCadence } from './indexer.js';
import { settledOrigin, type OriginWanted } from './origin.js';
import { queryLog, toStored } from './query.js';
import type { LedgerTables } from './schema.js';
import { TileCache } from './tile-cache.js';
import { SqliteWriter, type InsertRows } from './sqlite-writer.js';
import {
  insertBatch,
  LEAF_COLUMNS,
  leafRowValues,
  NODE_COLUMNS,
  packBatch,
  readTile,
  restoreTree,
  TILE_LEVEL,
  type BatchEntry,
  type PackedBatch,
} from './stored-log.js';
import { MissingTile, type CompactTree, type StagedPacked, type TileReader } from './tree.js';

export { TILE_LEVEL } from './stored-log.js';

export interface Cadence {
  /** Sign a checkpoint once this many entries arrived since the last (default 1000). */
  everyEntries?: number;
  /** …or once this many milliseconds passed with new entries (default 1000; 0 turns it off). */
  everyMs?: number;
}

export interface LedgerOptions extends OriginWanted {
  tenantId: string;
  /**
   * The checkpoint origin and the log key's name, e.g. `audit.hospital-a.example/custodia`; a log
   * already signed under another keeps that one (origin.ts).
   */
  origin: string;
  /** The log's Ed25519 private key: a KeyObject or a 32-byte seed, from the key provider. */
  signingKey: KeyObject | Uint8Array;
  cadence?: Cadence;
  clock?: Clock;
  alarms?: Alarms;
  /** Most entries committed in one transaction (default 8192). */
  maxBatch?: number;
  /** Complete tiles whose leaf hashes stay in memory for proofs (default 65,536 ≈ 1M entries, 34 MB). */
  tileCache?: number;
  /** How often the query indexes catch up with the log (see indexer.ts). */
  index?: IndexCadence;
}

export interface AppendReceipt {
  index: number;
  leafHash: Uint8Array;
}

export interface StoredEntry {
  index: number;
  entry: AuditEntry;
  /** The canonical bytes the leaf hash covers. */
  bytes: Uint8Array;
  leafHash: Uint8Array;
}

export interface InclusionProof {
  index: number;
  treeSize: number;
  leafHash: Uint8Array;
  path: Uint8Array[];
  /** The signed checkpoint of `treeSize` the path leads to. */
  checkpoint: string;
}

export interface LedgerQuery {
  patient?: string;
  /** Any subject: `patient:<token>`, `resource:Type/id` (writes only), `dataset:<id>`, `source:<id>`. */
  subject?: string;
  actor?: string;
  action?: string;
  kind?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** Only entries after this index (the `next` of a previous page). */
  after?: number;
  /** Page size, 1 to 1000 (default 100). */
  limit?: number;
}

interface Pending extends BatchEntry {
  resolve: (receipt: AppendReceipt) => void;
  reject: (error: unknown) => void;
}

type Db = Kysely<LedgerTables>;

/** The note verifier key (`name+hash+base64`) of the log a signing key signs for `origin`. */
export const logVerifierKey = (origin: string, signingKey: KeyObject | Uint8Array): string =>
  formatVerifierKey(ed25519NoteSigner(origin, ed25519Signer(signingKey)).key);

export class Ledger {
  readonly alarms: Alarms;
  readonly origin: string;
  readonly tenantId: string;
  private readonly db: Db;
  private readonly signer: NoteSigner;
  private readonly clock: Clock;
  private readonly everyEntries: number;
  private readonly maxBatch: number;
  private readonly tiles: TileCache;
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  /** Wakes a drain waiting for a batch worth sending (see `drain`). */
  private appended: (() => void) | undefined;
  /** The batches sent and not yet settled (at most `WRITER_DEPTH`). */
  private readonly committing = new Set<Promise<void>>();
  private writes: Promise<unknown> = Promise.resolve();
  /** The newest batch sent and not yet durable: the next one is staged on top of it. */
  private inFlight: StagedPacked | undefined;
  /** SQLite: the thread that commits batches (undefined until the first, or if it failed). */
  private sqliteWriter: SqliteWriter | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Derives the query indexes from the committed entries (set by `open`). */
  private indexer!: LedgerIndexer;
  private latest: Checkpoint | undefined;
  private stale = false;
  private closed = false;

  private constructor(
    private readonly store: Store,
    private tree: CompactTree,
    options: LedgerOptions,
  ) {
    this.db = store.tables<LedgerTables>();
    this.tenantId = options.tenantId;
    this.origin = options.origin;
    this.signer = ed25519NoteSigner(options.origin, ed25519Signer(options.signingKey));
    this.clock = options.clock ?? systemClock;
    this.alarms = options.alarms ?? new Alarms();
    this.everyEntries = Math.max(1, options.cadence?.everyEntries ?? 1000);
    this.maxBatch = Math.max(1, options.maxBatch ?? 8192);
    this.tiles = new TileCache(tree.tileSize, options.tileCache);
    const everyMs = options.cadence?.everyMs ?? 1000;
    if (everyMs > 0) {
      this.timer = setInterval(() => {
        if (this.latest?.size !== this.tree.size) this.checkpoint().catch(() => undefined);
      }, everyMs);
      this.timer.unref();
    }
  }

  /**
   * Opens a tenant's log: restores the tree from the stored tiles and the tail, and checks it
   * against the latest signed checkpoint before accepting any append.
   */
  static async open(store: Store, options: LedgerOptions): Promise<Ledger> {
    const origin = await settledOrigin(store, options);
    const tree = await restoreTree(store.tables<LedgerTables>(), options.tenantId);
    const ledger = new Ledger(store, tree, { ...options, origin });
    try {
      await ledger.loadLatestCheckpoint();
      ledger.indexer = await LedgerIndexer.open(
        store,
        options.tenantId,
        { size: () => ledger.tree.size, writer: () => ledger.writer },
        options.index,
      );
    } catch (error) {
      await ledger.close({ checkpoint: false });
      throw error;
    }
    return ledger;
  }

  /** The log's public key as a note verifier key (`name+hash+base64`), for witnesses and clients. */
  get verifierKey(): string {
    return formatVerifierKey(this.signer.key);
  }

  /** Entries committed so far. */
  get size(): number {
    return this.tree.size;
  }

  /** Records an entry; resolves once the transaction holding it has committed (durably). */
  append(entry: AuditEntry): Promise<AppendReceipt> {
    if (this.closed) return Promise.reject(ledgerClosed());
    let text: string;
    try {
      text = encodeEntryText(checkEntry(entry));
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, text, resolve, reject });
      // Only when a batch is now worth sending: waking the drain for every append while a
      // commit is in flight cost a turn of the event loop each.
      if (this.appended && this.worthSending()) {
        const appended = this.appended;
        this.appended = undefined;
        appended();
      }
      this.draining ??= this.drain();
    });
  }

  /**
   * SQLite: the writer thread, started with the first write (a ledger opened only to read starts
   * none). Undefined on PostgreSQL, whose driver already leaves this thread free while it waits,
   * and once the thread has failed (writes then go through the store's own connection).
   */
  private get writer(): SqliteWriter | undefined {
    if (this.closed && !this.sqliteWriter) return undefined;
    if (!this.sqliteWriter && this.store.dialect === 'sqlite' && existsSync(this.store.location))
      this.sqliteWriter = SqliteWriter.acquire(this.store.location);
    return this.sqliteWriter?.usable ? this.sqliteWriter : undefined;
  }

  private async drain(): Promise<void> {
    // Yield once so that every append made in this turn of the event loop joins the batch.
    await nextTurn();
    const inFlight = this.committing;
    while (this.queue.length > 0 || inFlight.size > 0) {
      const depth = this.writer ? WRITER_DEPTH : 1;
      // After a failure, what the store holds is known only once every batch sent has settled.
      if (this.stale && inFlight.size > 0) {
        await Promise.race(inFlight);
        continue;
      }
      if (inFlight.size >= depth) {
        await Promise.race(inFlight);
        continue;
      }
      if (!this.worthSending()) {
        // Wait for the commit in flight, or for an append that makes a batch worth sending.
        const woken = await Promise.race([...inFlight, this.nextAppend()]);
        if (woken === APPENDED) await nextTurn();
        continue;
      }
      if (this.stale) {
        try {
          this.tree = await restoreTree(this.db, this.tenantId);
          this.stale = false;
        } catch (error) {
          for (const p of this.queue.splice(0, this.maxBatch)) p.reject(error);
          continue;
        }
      }
      const batch = this.queue.splice(0, this.batchSize(inFlight.size, depth));
      const sent: Promise<void> = this.commit(batch).finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    }
    this.draining = undefined;
  }

  /**
   * Whether the queue makes a batch worth sending now: any entry when nothing is committing;
   * beside a commit in flight, only a long queue. A commit has a large fixed cost (its fsync and
   * transaction, about as much CPU as a dozen entries), so a few entries wait for the commit in
   * flight and go with the ones that arrive meanwhile: at API concurrency (tens of callers) that
   * halves the commits. A long queue goes at once, so that one thread encodes while the other
   * commits (appenders waiting on one batch would otherwise all resume, and append, at once, and
   * the two threads would take turns).
   */
  private worthSending(): boolean {
    const queued = this.queue.length;
    return queued > 0 && (this.committing.size === 0 || queued >= MIN_BESIDE);
  }

  /** Resolves with `APPENDED` at the append that makes a batch worth sending. */
  private nextAppend(): Promise<typeof APPENDED> {
    return new Promise((resolve) => (this.appended = () => resolve(APPENDED)));
  }

  /**
   * Entries for the next batch. With a writer thread, a lone batch is split in two when the
   * queue is long, so that one half is encoded while the other commits: a closed loop of
   * appenders (each waiting for its entry before sending the next) would otherwise leave one
   * thread idle while the other works.
   */
  private batchSize(inFlight: number, depth: number): number {
    const queued = this.queue.length;
    const size = depth > 1 && inFlight === 0 && queued >= 2 * MIN_BESIDE ? Math.ceil(queued / 2) : queued;
    return Math.min(size, this.maxBatch);
  }

  /**
   * Runs checkpoint signings one at a time, each after the batches sent before it have settled
   * (they join the same chain), so that a checkpoint asked for after an append covers it.
   */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work, work);
    this.writes = run.catch(() => undefined);
    return run;
  }

  /** Writes a batch behind any still in flight; settles its appends once it is durable. */
  private async commit(batch: Pending[]): Promise<void> {
    // A checkpoint asked for from now on covers this batch (as when batches ran one at a time).
    let applied!: () => void;
    this.writes = Promise.all([this.writes, new Promise<void>((resolve) => (applied = resolve))]);
    let sent: Sent;
    try {
      sent = this.send(batch);
      await sent.written;
    } catch (error) {
      // The commit may have happened even though we saw an error (a connection lost on COMMIT):
      // rebuild the tree from what the database holds before the next batch.
      this.stale = true;
      this.inFlight = undefined;
      for (const p of batch) p.reject(error);
      applied();
      return;
    }
    const { packed, staged } = sent;
    if (this.inFlight === staged) this.inFlight = undefined;
    // After a failed batch the tree is rebuilt from the store, which holds this one too.
    if (!this.stale) {
      staged.commit();
      for (const node of staged.baseNodes) this.tiles.putPacked(node.index, node.packed);
    }
    const { first, leaves } = packed;
    // Durable: the indexer may index it (committed, not `applied` below, counts).
    this.indexer.committed(first, batch.length, packed.subjects);
    for (let i = 0; i < batch.length; i++)
      batch[i]!.resolve({ index: first + i, leafHash: leaves.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE) });
    applied();
    if (this.tree.size - (this.latest?.size ?? 0) >= this.everyEntries)
      await this.checkpoint().catch(() => undefined);
  }

  /** Encodes, hashes and stages a batch on top of any in flight, and starts writing it. */
  private send(batch: Pending[]): Sent {
    const packed = packBatch(this.tenantId, this.inFlight?.size ?? this.tree.size, batch);
    const staged = this.tree.stagePacked(packed.leaves, batch.length, this.inFlight);
    const written = this.write(batch, packed, staged);
    this.inFlight = staged;
    return { packed, staged, written };
  }

  /** One transaction with the batch's entries and completed tile hashes: nothing else is durable. */
  private write(batch: readonly Pending[], packed: PackedBatch, staged: StagedPacked): Promise<void> {
    const tenant = this.tenantId;
    const { first, leaves } = packed;
    const nodes: unknown[] = [];
    for (const n of staged.baseNodes) nodes.push(tenant, TILE_LEVEL, n.index, n.hash);
    const nodeRows: InsertRows = { table: 'ledger_node', columns: NODE_COLUMNS, values: nodes };
    if (this.writer) {
      const texts = batch.map((p) => p.text).join('\n');
      return this.writer.write({ entries: { tenant, first, texts, leaves }, inserts: [nodeRows] });
    }
    const leafRows: InsertRows = {
      table: 'ledger_leaf',
      columns: LEAF_COLUMNS,
      values: leafRowValues(tenant, first, batch, leaves),
    };
    const dialect = this.store.dialect;
    return this.db.transaction().execute(async (trx) => {
      const tx = trx as unknown as Kysely<unknown>;
      for (const { table, columns, values } of [leafRows, nodeRows])
        await insertBatch(tx, dialect, table, columns, values);
    });
  }

  /** Signs a checkpoint of the current tree unless the latest already covers it. */
  checkpoint(): Promise<Checkpoint> {
    return this.exclusive(
      async () => (this.latest?.size === this.tree.size && this.latest) || this.signCheckpoint(),
    );
  }

  private async signCheckpoint(): Promise<Checkpoint> {
    const checkpoint = signCheckpoint(
      { origin: this.origin, size: this.tree.size, root: this.tree.root() },
      this.signer,
    );
    const row = {
      tenant_id: this.tenantId,
      origin: this.origin,
      size: checkpoint.size,
      root: Buffer.from(checkpoint.root),
      note: checkpoint.note,
      created_at: this.clock.now(),
    };
    // Through the writer thread when there is one: on this connection the insert would wait
    // (blocking this thread) for the batch the writer is committing.
    const writer = this.writer;
    if (writer) {
      const columns = Object.keys(row);
      const values = Object.values(row);
      await writer.write({
        inserts: [{ table: 'ledger_checkpoint', columns, values, ignoreDuplicates: true }],
      });
    } else
      await this.db
        .insertInto('ledger_checkpoint')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .execute();
    this.latest = checkpoint;
    return checkpoint;
  }

  /** The latest signed checkpoint, if the log has signed one. */
  latestCheckpoint(): Checkpoint | undefined {
    return this.latest;
  }

  /** The signed checkpoint of a given size, if the log issued one. */
  async checkpointAt(size: number): Promise<Checkpoint | undefined> {
    const row = await this.db
      .selectFrom('ledger_checkpoint')
      .select('note')
      .where('tenant_id', '=', this.tenantId)
      .where('origin', '=', this.origin)
      .where('size', '=', size)
      .executeTakeFirst();
    if (!row) return undefined;
    const parsed = openCheckpoint(row.note, this.origin, [this.signer.key]);
    if (!parsed.ok) throw logIntegrity(`the stored checkpoint of size ${size}: ${parsed.problem}`);
    return parsed.value;
  }

  private async loadLatestCheckpoint(): Promise<void> {
    const row = await this.db
      .selectFrom('ledger_checkpoint')
      .select('note')
      .where('tenant_id', '=', this.tenantId)
      .where('origin', '=', this.origin)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return;
    const parsed = openCheckpoint(row.note, this.origin, [this.signer.key]);
    if (!parsed.ok) throw this.tampered(`the latest stored checkpoint: ${parsed.problem}`, {});
    const checkpoint = parsed.value;
    if (checkpoint.size > this.tree.size)
      throw this.tampered(
        `the log has ${this.tree.size} entries but a checkpoint of size ${checkpoint.size} was signed`,
        {
          checkpoint: checkpoint.note,
        },
      );
    const root = await this.rootAt(checkpoint.size);
    if (!bytesEqual(root, checkpoint.root))
      throw this.tampered(`the entries do not hash to the root of checkpoint ${checkpoint.size}`, {
        checkpoint: checkpoint.note,
        computedRoot: toBase64(root),
      });
    this.latest = checkpoint;
  }

  private tampered(problem: string, evidence: Record<string, string | number>) {
    this.alarms.raise({
      kind: 'tampered-log',
      origin: this.origin,
      message: problem,
      zh: `审计账本被篡改：${problem}`,
      at: this.clock.now(),
      evidence,
    });
    return logIntegrity(problem);
  }

  /** The stored entry at `index`; `not-found` beyond the log. */
  async get(index: number): Promise<StoredEntry> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.tree.size)
      throw entryNotFound(index, this.tree.size);
    const row = await this.db
      .selectFrom('ledger_leaf')
      .select(['idx', 'entry', 'leaf_hash'])
      .where('tenant_id', '=', this.tenantId)
      .where('idx', '=', index)
      .executeTakeFirst();
    if (!row) throw this.tampered(`entry ${index} is missing from the store`, { index });
    return toStored(row);
  }

  /** The root of the first `size` entries. */
  rootAt(size: number = this.tree.size): Promise<Uint8Array> {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.tree.size)
      throw badTreeSize(size, this.tree.size);
    return this.withTiles((tiles) => this.tree.root(size, tiles));
  }

  /**
   * The inclusion proof of entry `index` in a signed tree: by default the latest checkpoint
   * (signed now when the entry is newer than it), or the checkpoint of `treeSize`.
   */
  async proveInclusion(index: number, treeSize?: number): Promise<InclusionProof> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.tree.size)
      throw entryNotFound(index, this.tree.size);
    let checkpoint: Checkpoint | undefined;
    if (treeSize === undefined) {
      checkpoint = this.latest && index < this.latest.size ? this.latest : await this.checkpoint();
    } else {
      if (!Number.isSafeInteger(treeSize) || treeSize <= index || treeSize > this.tree.size)
        throw badTreeSize(treeSize, this.tree.size);
      checkpoint = await this.checkpointAt(treeSize);
      if (!checkpoint) throw badTreeSize(treeSize, this.tree.size);
    }
    const size = checkpoint.size;
    // The leaf is a level-0 subtree: it comes from the same tile read as the path's lower part.
    const { path, leaf } = await this.withTiles((tiles) => {
      const source = this.tree.source(tiles);
      return { path: inclusionPath(source, index, size), leaf: new Uint8Array(source.perfect(0, index)) };
    });
    return { index, treeSize: size, leafHash: leaf, path, checkpoint: checkpoint.note };
  }

  /** Inclusion path alone, for an unsigned size (benchmarks, internal checks). */
  inclusionPath(index: number, treeSize: number = this.tree.size): Promise<Uint8Array[]> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.tree.size)
      throw entryNotFound(index, this.tree.size);
    if (!Number.isSafeInteger(treeSize) || treeSize <= index || treeSize > this.tree.size)
      throw badTreeSize(treeSize, this.tree.size);
    return this.withTiles((tiles) => inclusionPath(this.tree.source(tiles), index, treeSize));
  }

  /** The RFC 9162 consistency proof from `oldSize` to `newSize` (default: the current size). */
  proveConsistency(oldSize: number, newSize: number = this.tree.size): Promise<Uint8Array[]> {
    if (!Number.isSafeInteger(newSize) || newSize < 0 || newSize > this.tree.size)
      throw badTreeSize(newSize, this.tree.size);
    if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize)
      throw badTreeSize(oldSize, newSize);
    return this.withTiles((tiles) => consistencyPath(this.tree.source(tiles), oldSize, newSize));
  }

  /**
   * Checks a checkpoint that claims to be this log's (seen at a witness, a client, a mirror):
   * it must be signed by the log key and agree with the log. Anything else is refused and alarmed.
   */
  async checkCheckpoint(note: string): Promise<Checkpoint> {
    const opened = openCheckpoint(note, this.origin, [this.signer.key]);
    if (!opened.ok) {
      this.alarms.raise({
        kind: 'bad-signature',
        origin: this.origin,
        message: `a checkpoint for this log does not verify: ${opened.problem}`,
        zh: '声称属于本日志的检查点签名无效',
        at: this.clock.now(),
        evidence: { checkpoint: note },
      });
      throw checkpointRejected(opened.problem, '签名无效或格式错误');
    }
    const checkpoint = opened.value;
    const ours = checkpoint.size <= this.tree.size ? await this.rootAt(checkpoint.size) : undefined;
    if (!ours || !bytesEqual(ours, checkpoint.root)) {
      const problem = ours
        ? `its root for size ${checkpoint.size} differs from the log's`
        : `its size ${checkpoint.size} is beyond the log's ${this.tree.size} entries`;
      this.alarms.raise({
        kind: 'split-view',
        origin: this.origin,
        message: `a checkpoint signed with this log's key disagrees with the log: ${problem}`,
        zh: '检查点与本日志不一致（分叉视图）',
        at: this.clock.now(),
        evidence: { checkpoint: note, ...(this.latest ? { latest: this.latest.note } : {}) },
      });
      throw checkpointInconsistent(problem);
    }
    return checkpoint;
  }

  /** Checks that two signed checkpoints of this log are consistent, with the log's own proof. */
  async checkConsistency(
    olderNote: string,
    newerNote: string,
  ): Promise<{ oldSize: number; newSize: number; proof: Uint8Array[] }> {
    const older = await this.checkCheckpoint(olderNote);
    const newer = await this.checkCheckpoint(newerNote);
    const [a, b] = older.size <= newer.size ? [older, newer] : [newer, older];
    const proof = await this.proveConsistency(a.size, b.size);
    if (!verifyConsistency(a.size, b.size, a.root, b.root, proof))
      throw checkpointInconsistent('the consistency proof does not verify');
    return { oldSize: a.size, newSize: b.size, proof };
  }

  /** The largest checkpoint size a witness has cosigned for this log (0 if none). */
  async lastCosignedSize(witness: string): Promise<number> {
    const row = await this.db
      .selectFrom('ledger_cosignature')
      .select(sql<number | null>`max(size)`.as('size'))
      .where('tenant_id', '=', this.tenantId)
      .where('origin', '=', this.origin)
      .where('witness', '=', witness)
      .executeTakeFirst();
    return Number(row?.size ?? 0);
  }

  /** Keeps a verified witness cosignature of one of this log's checkpoints. */
  async recordCosignature(checkpoint: Checkpoint, cosignature: VerifiedCosignature): Promise<void> {
    await this.db
      .insertInto('ledger_cosignature')
      .values({
        tenant_id: this.tenantId,
        origin: this.origin,
        size: checkpoint.size,
        witness: cosignature.witness.name,
        line: cosignature.line,
        timestamp: cosignature.timestamp,
      })
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'origin', 'size', 'witness'])
          .doUpdateSet({ line: cosignature.line, timestamp: cosignature.timestamp }),
      )
      .execute();
  }

  /** A checkpoint with the cosignature lines collected for it appended. */
  async cosignedCheckpoint(size: number): Promise<string | undefined> {
    const checkpoint = await this.checkpointAt(size);
    if (!checkpoint) return undefined;
    const lines = await this.db
      .selectFrom('ledger_cosignature')
      .select('line')
      .where('tenant_id', '=', this.tenantId)
      .where('origin', '=', this.origin)
      .where('size', '=', size)
      .orderBy('witness')
      .execute();
    return checkpoint.note + lines.map((l) => `${l.line}\n`).join('');
  }

  /**
   * The consortium's agreed state: the largest checkpoint cosigned by at least `quorum` of the
   * given witnesses, with its cosignatures (checked, not just counted).
   */
  async agreedCheckpoint(
    witnesses: readonly VerifierKey[],
    quorum: number,
  ): Promise<(Checkpoint & { cosignatures: VerifiedCosignature[] }) | undefined> {
    const names = witnesses.map((w) => w.name);
    if (names.length === 0) return undefined;
    const candidates = await this.db
      .selectFrom('ledger_cosignature')
      .select(['size', sql<number>`count(*)`.as('n')])
      .where('tenant_id', '=', this.tenantId)
      .where('origin', '=', this.origin)
      .where('witness', 'in', names)
      .groupBy('size')
      .having(sql<number>`count(*)`, '>=', quorum)
      .orderBy('size', 'desc')
      .limit(10)
      .execute();
    for (const candidate of candidates) {
      const note = await this.cosignedCheckpoint(Number(candidate.size));
      if (!note) continue;
      const verified = verifyCosignatures(note, witnesses);
      const checkpoint = await this.checkpointAt(Number(candidate.size));
      if (verified.ok && checkpoint && verified.value.length >= quorum)
        return { ...checkpoint, note, cosignatures: verified.value };
    }
    return undefined;
  }

  /**
   * Entries by patient, subject, actor, action, kind and time; oldest first, paged by index. An
   * entry is found as soon as its append has resolved, indexed or not yet (see query.ts).
   */
  query(q: LedgerQuery): Promise<{ entries: StoredEntry[]; next?: number }> {
    return queryLog(this.db, this.store.dialect, this.tenantId, q);
  }

  /**
   * Brings the query indexes up to every entry committed so far, now rather than at the indexer's
   * next round; resolves with how many entries they cover. Queries never need it.
   */
  updateIndex(): Promise<number> {
    return this.indexer.update();
  }

  /**
   * Derives the query index of every entry again, restoring rows it lost (`custodia ledger
   * reindex`; see `LedgerIndexer.rebuild`). Resolves with the number of entries covered.
   */
  rebuildIndex(onProgress?: (done: number, total: number) => void): Promise<number> {
    return this.indexer.rebuild(onProgress);
  }

  /** Waits for queued appends, signs a last checkpoint, and stops the cadence timer. */
  async close(options: { checkpoint?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    while (this.draining) await this.draining;
    await this.writes;
    if (options.checkpoint !== false && this.tree.size > 0 && this.latest?.size !== this.tree.size)
      await this.signCheckpoint().catch(() => undefined);
    // Indexed now, the entries of this run need no decoding at the next open.
    await this.indexer?.close();
    await this.sqliteWriter?.release();
    this.sqliteWriter = undefined;
  }

  /** Runs a proof computation, loading the tiles it turns out to need (at most a few). */
  private async withTiles<T>(compute: (tiles: TileReader) => T): Promise<T> {
    const loaded = new Map<number, Uint8Array[]>();
    const tiles: TileReader = (tile) => {
      let leaves = loaded.get(tile);
      if (!leaves && (leaves = this.tiles.get(tile))) loaded.set(tile, leaves);
      return leaves;
    };
    for (;;) {
      try {
        return compute(tiles);
      } catch (error) {
        if (!(error instanceof MissingTile) || loaded.has(error.tile)) throw error;
        const leaves = await readTile(this.db, this.tenantId, error.tile, this.tree.tileSize);
        this.tiles.put(error.tile, leaves);
        loaded.set(error.tile, leaves);
      }
    }
  }
}

/** Batches a writer thread holds at once: one committing while the next is encoded. */
const WRITER_DEPTH = 2;
const APPENDED = Symbol('appended');
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
/**
 * Fewest entries sent as a batch of their own beside one in flight (or split off a lone batch):
 * below it, the extra commit's fixed cost exceeds what the overlap saves.
 */
const MIN_BESIDE = 64;

/** A batch on its way to the store. */
interface Sent {
  packed: PackedBatch;
  staged: StagedPacked;
  written: Promise<void>;
}
