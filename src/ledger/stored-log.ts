/**
 * The log as the store holds it: the rows a batch of entries becomes (`ledger_leaf`, and
 * `ledger_node` for completed tiles), and the tree rebuilt from them when a log is opened.
 */
import { sql, type Kysely } from 'kysely';
import { insertRows, type Store } from '../store/index.js';
import { subjectsOf, type AuditEntry } from './entry.js';
import { logIntegrity } from './errors.js';
import { HASH_SIZE } from './merkle.js';
import { sha256Latin1 } from './primitives.js';
import type { LedgerTables } from './schema.js';
import { CompactTree, subtreeHash } from './tree.js';

type Db = Kysely<LedgerTables>;

/** An entry on its way into the log, with its canonical JSON (whose UTF-8 bytes are stored and hashed). */
export interface BatchEntry {
  entry: AuditEntry;
  text: string;
}

/** Leaves per stored tile: the node table holds one hash per 16 leaves. */
export const TILE_LEVEL = 4;

export const LEAF_COLUMNS = [
  'tenant_id',
  'idx',
  'entry',
  'leaf_hash',
  'kind',
  'actor',
  'organization',
  'action',
  'time',
  'request_id',
];

export interface PackedBatch {
  first: number;
  /** The leaf hashes, 32 bytes each, back to back. */
  leaves: Buffer;
  /** The ledger_subject rows of its dataset events, flat: for the indexer. */
  subjects: unknown[];
}

/** A batch's leaf hashes, in one buffer (a view per receipt rather than an allocation each). */
export function packBatch(tenant: string, first: number, batch: readonly BatchEntry[]): PackedBatch {
  const count = batch.length;
  // Not from the shared pool: the buffer goes to the writer thread, which copies all of it.
  const leaves = Buffer.allocUnsafeSlow(count * HASH_SIZE);
  const subjects: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const { entry, text } = batch[i]!;
    // MTH({d}) = SHA-256(0x00 || d): the string's UTF-8 is exactly 0x00 and the entry's bytes
    // (the text is well-formed: JSON.stringify escapes lone surrogates).
    leaves.write(sha256Latin1(`\0${text}`), i * HASH_SIZE, 'latin1');
    // Dataset events only: the indexer has the database derive the other entries' subjects.
    if (entry.kind === 'dataset-event')
      for (const subject of subjectsOf(entry)) subjects.push(tenant, subject, first + i);
  }
  return { first, leaves, subjects };
}

/**
 * The ledger_leaf rows of a batch, flat, for a write through the store's own connection (the
 * writer thread derives the same rows from the texts: sqlite-writer.ts).
 */
export function leafRowValues(
  tenant: string,
  first: number,
  batch: readonly BatchEntry[],
  leaves: Buffer,
): unknown[] {
  const rows: unknown[] = [];
  for (let i = 0; i < batch.length; i++) {
    const { entry, text } = batch[i]!;
    const leaf = leaves.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
    const { kind, actor, organization, action, time, requestId } = entry;
    rows.push(
      tenant,
      first + i,
      Buffer.from(text, 'utf8'),
      leaf,
      kind,
      actor,
      organization,
      action,
      time,
      requestId ?? null,
    );
  }
  return rows;
}

export const NODE_COLUMNS = ['tenant_id', 'level', 'idx', 'hash'];

/** Rows per statement on SQLite, where statements are cached by their text. */
const SQLITE_ROWS_PER_STATEMENT = 256;

/**
 * Inserts a batch's rows (flat values). On SQLite in statements of a few fixed sizes (256 rows,
 * then the remainder by powers of two), so that the statement cache holds every text that will
 * ever be run: a statement of a new size each batch would be compiled each batch. On PostgreSQL
 * in as few statements as possible (each is a round trip).
 */
export async function insertBatch(
  tx: Kysely<unknown>,
  dialect: Store['dialect'],
  table: string,
  columns: readonly string[],
  values: readonly unknown[],
): Promise<void> {
  if (values.length === 0) return;
  if (dialect !== 'sqlite') return insertRows(tx, dialect, table, columns, values);
  const width = columns.length;
  let at = 0;
  while (at < values.length) {
    const left = (values.length - at) / width;
    let rows = SQLITE_ROWS_PER_STATEMENT;
    while (rows > left) rows /= 2;
    const end = at + rows * width;
    await insertRows(tx, dialect, table, columns, values.slice(at, end));
    at = end;
  }
}

export async function readTile(
  db: Db,
  tenantId: string,
  tile: number,
  tileSize: number,
): Promise<Uint8Array[]> {
  const rows = await db
    .selectFrom('ledger_leaf')
    .select(['idx', 'leaf_hash'])
    .where('tenant_id', '=', tenantId)
    .where('idx', '>=', tile * tileSize)
    .where('idx', '<', (tile + 1) * tileSize)
    .orderBy('idx')
    .execute();
  return rows.map((r) => new Uint8Array(r.leaf_hash));
}

/**
 * Rebuilds the in-memory tree: base nodes from the node table, the unfinished tile's leaves from
 * the leaf table. Base nodes missing for complete tiles (none after a clean commit, since both go
 * in one transaction) are recomputed from their leaves.
 */
export async function restoreTree(db: Db, tenantId: string): Promise<CompactTree> {
  const top = await db
    .selectFrom('ledger_leaf')
    .select(sql<number | null>`max(idx)`.as('max'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  const size = top?.max === null || top?.max === undefined ? 0 : Number(top.max) + 1;
  const tileSize = 2 ** TILE_LEVEL;
  const complete = Math.floor(size / tileSize);
  const nodes = await db
    .selectFrom('ledger_node')
    .select(['idx', 'hash'])
    .where('tenant_id', '=', tenantId)
    .where('level', '=', TILE_LEVEL)
    .where('idx', '<', complete)
    .orderBy('idx')
    .execute();
  const stored = new Map(nodes.map((n) => [Number(n.idx), new Uint8Array(n.hash)]));
  const base: Uint8Array[] = [];
  for (let i = 0; i < complete; i++) {
    let hash: Uint8Array | undefined = stored.get(i);
    if (!hash) {
      const leaves = await readTile(db, tenantId, i, tileSize);
      if (leaves.length !== tileSize) throw logIntegrity(`entries of tile ${i} are missing`);
      hash = subtreeHash(leaves);
    }
    base.push(hash);
  }
  const tail = await readTile(db, tenantId, complete, tileSize);
  if (tail.length !== size - complete * tileSize)
    throw logIntegrity(`entries between ${complete * tileSize} and ${size} are missing`);
  return CompactTree.restore(TILE_LEVEL, base, tail);
}
