/**
 * `custodia ledger verify`: recomputes a tenant's log from the stored entry bytes and compares it
 * with everything that was signed. Any change, deletion, reordering or truncation of entries
 * changes a leaf hash, leaves a gap, or moves a signed root, and is reported with its index.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Store } from '../store/index.js';
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { TILE_LEVEL } from './ledger.js';
import { leafHash } from './merkle.js';
import { parseVerifierKey, type VerifierKey } from './note.js';
import { bytesEqual, toBase64 } from './primitives.js';
import type { LedgerTables } from './schema.js';
import { CompactTree } from './tree.js';

export type ProblemKind =
  'gap' | 'leaf-hash' | 'entry' | 'columns' | 'tile-hash' | 'root' | 'truncated' | 'checkpoint';

export interface VerifyProblem {
  kind: ProblemKind;
  /** The first entry (or, for checkpoints and roots, the tree size) where it went wrong. */
  index: number;
  message: string;
  zh: string;
}

export type VerifyReport =
  | { ok: true; size: number; root: string; checkpointsChecked: number; entriesChecked: number }
  | { ok: false; problem: VerifyProblem; entriesChecked: number };

export interface VerifyOptions {
  tenantId: string;
  origin: string;
  /** The log's verifier keys (`name+hash+base64`, or parsed). */
  logKeys: readonly (string | VerifierKey)[];
  /** A checkpoint trusted from elsewhere (a witness, the user's own copy): the log must agree. */
  trusted?: string[];
  /** Also check the indexed columns against the entry bytes (slower; default true). */
  checkColumns?: boolean;
  /** Rows read per query (default 20000). */
  chunk?: number;
  /** Called after each chunk with the entries checked so far and the log's size. */
  onProgress?: (checked: number, total: number) => void;
}

type Db = Kysely<LedgerTables>;

export async function verifyLog(store: Store, options: VerifyOptions): Promise<VerifyReport> {
  const db = store.tables<LedgerTables>();
  const keys = options.logKeys.map((k) => {
    if (typeof k !== 'string') return k;
    const parsed = parseVerifierKey(k);
    if (!parsed.ok) throw new TypeError(`bad log key: ${parsed.problem}`);
    return parsed.value;
  });
  const checkColumns = options.checkColumns ?? true;
  const chunk = options.chunk ?? 20_000;
  let entriesChecked = 0;
  const fail = (kind: ProblemKind, index: number, message: string, zh: string): VerifyReport => ({
    ok: false,
    problem: { kind, index, message, zh },
    entriesChecked,
  });

  // Every checkpoint the log signed, plus the trusted ones, must verify and match a prefix.
  const signed: Checkpoint[] = [];
  const rows = await db
    .selectFrom('ledger_checkpoint')
    .select(['size', 'root', 'note'])
    .where('tenant_id', '=', options.tenantId)
    .where('origin', '=', options.origin)
    .orderBy('size')
    .execute();
  for (const row of [
    ...rows,
    ...(options.trusted ?? []).map((note) => ({ size: -1, root: undefined, note })),
  ]) {
    const opened = openCheckpoint(row.note, options.origin, keys);
    if (!opened.ok)
      return fail(
        'checkpoint',
        Number(row.size),
        `checkpoint ${row.size}: ${opened.problem}`,
        `检查点 ${row.size} 无效`,
      );
    if (row.root && (opened.value.size !== Number(row.size) || !bytesEqual(opened.value.root, row.root)))
      return fail(
        'checkpoint',
        Number(row.size),
        `the columns of checkpoint ${row.size} differ from its signed note`,
        `检查点 ${row.size} 的列与签名内容不符`,
      );
    signed.push(opened.value);
  }
  signed.sort((a, b) => a.size - b.size);

  const tree = new CompactTree(TILE_LEVEL);
  let next = 0;
  let pendingCheckpoint = 0;
  const checkRoots = (): VerifyReport | undefined => {
    while (pendingCheckpoint < signed.length && signed[pendingCheckpoint]!.size === tree.size) {
      const cp = signed[pendingCheckpoint++]!;
      if (!bytesEqual(tree.root(), cp.root))
        return fail(
          'root',
          cp.size,
          `the first ${cp.size} entries do not hash to the signed root of that size: an entry was changed, removed or moved`,
          `前 ${cp.size} 条记录与签名根哈希不符：记录被修改、删除或调换`,
        );
    }
    return undefined;
  };
  const initial = checkRoots();
  if (initial) return initial;
  const top = await db
    .selectFrom('ledger_leaf')
    .select(sql<number | null>`max(idx)`.as('max'))
    .where('tenant_id', '=', options.tenantId)
    .executeTakeFirst();
  const total = top?.max === null || top?.max === undefined ? 0 : Number(top.max) + 1;
  // Checkpoint sizes are checked only where one was signed: the loop compares one number per entry.
  let nextCheckpointSize = signed[pendingCheckpoint]?.size ?? -1;
  const base = db
    .selectFrom('ledger_leaf')
    .where('tenant_id', '=', options.tenantId)
    .orderBy('idx')
    .limit(chunk);
  // On SQLite the database compares the columns with the entry JSON in one pass (in C, several
  // times faster than materializing and parsing every row here); elsewhere the loop does.
  const sqlColumns = checkColumns && store.dialect === 'sqlite';
  const firstBadColumns = sqlColumns ? await firstColumnMismatch(db, options.tenantId) : undefined;
  const inLoop = checkColumns && !sqlColumns;
  for (;;) {
    const batch: LeafRow[] = inLoop
      ? await base.selectAll().where('idx', '>=', next).execute()
      : await base.select(['idx', 'entry', 'leaf_hash']).where('idx', '>=', next).execute();
    for (const row of batch) {
      const index = Number(row.idx);
      if (index !== next) return fail('gap', next, `entry ${next} is missing`, `第 ${next} 条记录缺失`);
      const hash = leafHash(row.entry);
      if (!bytesEqual(hash, row.leaf_hash))
        return fail(
          'leaf-hash',
          index,
          `entry ${index} does not hash to its stored leaf hash: it was changed`,
          `第 ${index} 条记录内容被修改`,
        );
      if (inLoop || index === firstBadColumns) {
        const full = inLoop ? row : await base.selectAll().where('idx', '=', index).executeTakeFirstOrThrow();
        const problem = columnProblem(full, index);
        if (problem) return fail('columns', index, problem, `第 ${index} 条记录的索引列或内容无效`);
      }
      tree.appendLeaf(hash);
      entriesChecked++;
      next++;
      if (next === nextCheckpointSize) {
        const bad = checkRoots();
        if (bad) return bad;
        nextCheckpointSize = signed[pendingCheckpoint]?.size ?? -1;
      }
    }
    options.onProgress?.(entriesChecked, Math.max(total, entriesChecked));
    if (batch.length < chunk) break;
  }
  if (pendingCheckpoint < signed.length) {
    const cp = signed[pendingCheckpoint]!;
    return fail(
      'truncated',
      tree.size,
      `the log has ${tree.size} entries but a checkpoint of size ${cp.size} was signed: entries were removed from the end`,
      `日志仅有 ${tree.size} 条，但已签名检查点大小为 ${cp.size}：末尾记录被删除`,
    );
  }
  const tileProblem = await checkTiles(db, options.tenantId, tree);
  if (tileProblem !== undefined)
    return fail(
      'tile-hash',
      tileProblem * tree.tileSize,
      `the stored subtree hash of tile ${tileProblem} is wrong: proofs would not verify`,
      `第 ${tileProblem} 块子树哈希被篡改`,
    );
  return {
    ok: true,
    size: tree.size,
    root: toBase64(tree.root()),
    checkpointsChecked: signed.length,
    entriesChecked,
  };
}

type LeafRow = Pick<Selectable<LedgerTables['ledger_leaf']>, 'idx' | 'entry' | 'leaf_hash'> &
  Partial<Selectable<LedgerTables['ledger_leaf']>>;

/**
 * Whether the search columns agree with the entry bytes (a changed actor column would hide an
 * entry from queries without touching its hash). Parses the JSON but skips the full entry
 * check: the bytes were already proven to be the ones the log signed.
 */
function columnProblem(row: LeafRow, index: number): string | undefined {
  let e: Partial<AuditEntry>;
  try {
    e = JSON.parse(Buffer.from(row.entry).toString('utf8')) as Partial<AuditEntry>;
  } catch (error) {
    return `entry ${index} is not valid JSON: ${(error as Error).message}`;
  }
  if (
    e.kind !== row.kind ||
    e.actor !== row.actor ||
    e.organization !== row.organization ||
    e.action !== row.action ||
    e.time !== Number(row.time) ||
    (e.requestId ?? null) !== row.request_id
  )
    return `the search columns of entry ${index} differ from its bytes`;
  return undefined;
}

/**
 * The first entry whose search columns disagree with its JSON (or whose bytes are not JSON), by
 * SQLite's JSON functions; `CASE` makes sure nothing is extracted from invalid JSON.
 */
async function firstColumnMismatch(db: Db, tenantId: string): Promise<number | undefined> {
  const text = sql`cast(entry as text)`;
  const field = (name: string) => sql`json_extract(${text}, ${`$.${name}`})`;
  const row = await db
    .selectFrom('ledger_leaf')
    .select(sql<number | null>`min(idx)`.as('first'))
    .where('tenant_id', '=', tenantId)
    .where(
      sql<boolean>`case when json_valid(${text}) then (
        ${field('kind')} is not kind or ${field('actor')} is not actor
        or ${field('organization')} is not organization or ${field('action')} is not action
        or ${field('time')} is not time or ${field('requestId')} is not request_id
      ) else 1 end`,
    )
    .executeTakeFirst();
  return row?.first === null || row?.first === undefined ? undefined : Number(row.first);
}

/** The first stored tile hash that differs from the recomputed one, if any. */
async function checkTiles(db: Db, tenantId: string, tree: CompactTree): Promise<number | undefined> {
  const source = tree.source();
  const rows = await db
    .selectFrom('ledger_node')
    .select(['idx', 'hash'])
    .where('tenant_id', '=', tenantId)
    .where('level', '=', TILE_LEVEL)
    .orderBy('idx')
    .execute();
  for (let i = 0; i < tree.baseNodeCount; i++) {
    const row = rows[i];
    if (!row || Number(row.idx) !== i || !bytesEqual(row.hash, source.perfect(TILE_LEVEL, i))) return i;
  }
  return rows.length > tree.baseNodeCount ? tree.baseNodeCount : undefined;
}
