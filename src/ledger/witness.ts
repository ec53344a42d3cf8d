/**
 * A witness (C2SP tlog-witness): another institution's node that keeps, per log it watches, the
 * latest checkpoint it cosigned, and cosigns a new one only with a consistency proof from it.
 * `handleAddCheckpoint` is framework-free: the API mounts it at `POST /add-checkpoint`.
 */
import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import { systemClock, type Clock } from '../core/index.js';
import type { Store } from '../store/index.js';
import { Alarms, type AlarmKind } from './alarm.js';
import { openCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { ed25519Cosigner, type Cosigner } from './cosignature.js';
import { EMPTY_ROOT, verifyConsistency } from './merkle.js';
import { formatVerifierKey, parseVerifierKey, type VerifierKey } from './note.js';
import { bytesEqual, ed25519Signer, fromBase64 } from './primitives.js';
import type { LedgerTables } from './schema.js';

export interface WitnessState {
  size: number;
  root: Uint8Array;
  /** The checkpoint note last cosigned: evidence if the log later contradicts it. */
  note: string;
}

/** Where a witness keeps its latest cosigned checkpoint per log origin. */
export interface WitnessStateStore {
  get(origin: string): Promise<WitnessState | undefined>;
  /** Replaces the state only if its size is still `expectedSize` (0: none yet); false otherwise. */
  compareAndSet(origin: string, expectedSize: number, next: WitnessState): Promise<boolean>;
}

export class MemoryWitnessState implements WitnessStateStore {
  private readonly states = new Map<string, WitnessState>();
  async get(origin: string) {
    return this.states.get(origin);
  }
  async compareAndSet(origin: string, expectedSize: number, next: WitnessState) {
    if ((this.states.get(origin)?.size ?? 0) !== expectedSize) return false;
    this.states.set(origin, next);
    return true;
  }
}

/** Witness state in the `ledger_witness_state` table, with an atomic compare-and-set. */
export class StoredWitnessState implements WitnessStateStore {
  private readonly db: Kysely<LedgerTables>;
  constructor(
    store: Store,
    private readonly tenantId: string,
    private readonly witness: string,
    private readonly clock: Clock = systemClock,
  ) {
    this.db = store.tables<LedgerTables>();
  }

  async get(origin: string): Promise<WitnessState | undefined> {
    const row = await this.db
      .selectFrom('ledger_witness_state')
      .select(['size', 'root', 'note'])
      .where('tenant_id', '=', this.tenantId)
      .where('witness', '=', this.witness)
      .where('origin', '=', origin)
      .executeTakeFirst();
    return row && { size: Number(row.size), root: new Uint8Array(row.root), note: row.note };
  }

  async compareAndSet(origin: string, expectedSize: number, next: WitnessState): Promise<boolean> {
    const values = {
      size: next.size,
      root: Buffer.from(next.root),
      note: next.note,
      updated_at: this.clock.now(),
    };
    if (expectedSize === 0) {
      const inserted = await this.db
        .insertInto('ledger_witness_state')
        .values({ tenant_id: this.tenantId, witness: this.witness, origin, ...values })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return true;
    }
    const updated = await this.db
      .updateTable('ledger_witness_state')
      .set(values)
      .where('tenant_id', '=', this.tenantId)
      .where('witness', '=', this.witness)
      .where('origin', '=', origin)
      .where('size', '=', expectedSize)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }
}

export interface WitnessedLog {
  origin: string;
  /** The log's note verifier keys (`name+hash+base64`). */
  keys: readonly (string | VerifierKey)[];
}

export interface WitnessOptions {
  /** The witness's key name, e.g. `witness.hospital-b.example/custodia`. */
  name: string;
  signingKey: KeyObject | Uint8Array;
  logs: readonly WitnessedLog[];
  state: WitnessStateStore;
  clock?: Clock;
  alarms?: Alarms;
}

export interface WitnessResponse {
  status: number;
  body: string;
  contentType: string;
}

const TEXT = 'text/plain; charset=utf-8';
const SIZE = 'text/x.tlog.size';
const MAX_PROOF_LINES = 63;

export class Witness {
  readonly alarms: Alarms;
  private readonly cosigner: Cosigner;
  private readonly logs = new Map<string, VerifierKey[]>();
  private readonly clock: Clock;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly options: WitnessOptions) {
    this.cosigner = ed25519Cosigner(options.name, ed25519Signer(options.signingKey));
    this.clock = options.clock ?? systemClock;
    this.alarms = options.alarms ?? new Alarms();
    for (const log of options.logs)
      this.logs.set(
        log.origin,
        log.keys.map((k) => {
          if (typeof k !== 'string') return k;
          const parsed = parseVerifierKey(k);
          if (!parsed.ok) throw new TypeError(`bad key for log ${log.origin}: ${parsed.problem}`);
          return parsed.value;
        }),
      );
  }

  /** The witness's cosignature verifier key (`name+hash+base64`, type 0x04) for the consortium. */
  get verifierKey(): string {
    return formatVerifierKey(this.cosigner.key);
  }

  /** `POST <prefix>/add-checkpoint` of c2sp.org/tlog-witness. */
  async handleAddCheckpoint(requestBody: string): Promise<WitnessResponse> {
    const request = parseAddCheckpoint(requestBody);
    if (!request.ok) return reply(400, `${request.problem}\n`);
    const { oldSize, proof, note } = request;
    const unverified = parseCheckpoint(note);
    if (!unverified.ok) return reply(400, `bad checkpoint: ${unverified.problem}\n`);
    const origin = unverified.value.origin;
    const keys = this.logs.get(origin);
    if (!keys) return reply(404, `unknown log ${origin}\n`);
    const opened = openCheckpoint(note, origin, keys);
    if (!opened.ok) {
      this.alarm(
        'bad-signature',
        origin,
        `a checkpoint for ${origin} is not validly signed: ${opened.problem}`,
        '检查点签名无效',
        { checkpoint: note },
      );
      return reply(403, `${opened.problem}\n`);
    }
    const checkpoint = opened.value;
    if (oldSize > checkpoint.size) return reply(400, 'the old size is larger than the checkpoint size\n');
    return this.serialized(origin, () => this.cosignIfConsistent(checkpoint, oldSize, proof));
  }

  private async cosignIfConsistent(
    checkpoint: Checkpoint,
    oldSize: number,
    proof: Uint8Array[],
  ): Promise<WitnessResponse> {
    const origin = checkpoint.origin;
    const state = await this.options.state.get(origin);
    const known = state?.size ?? 0;
    if (oldSize !== known) return reply(409, `${known}\n`, SIZE);
    if (state && oldSize === checkpoint.size && !bytesEqual(state.root, checkpoint.root)) {
      this.alarm(
        'split-view',
        origin,
        `two checkpoints of size ${checkpoint.size} with different roots for ${origin}`,
        `日志 ${origin} 在同一大小 ${checkpoint.size} 出现两个不同根哈希（分叉视图）`,
        {
          cosigned: state.note,
          conflicting: checkpoint.note,
        },
      );
      return reply(409, `${known}\n`, SIZE);
    }
    if (!verifyConsistency(oldSize, checkpoint.size, state?.root ?? EMPTY_ROOT, checkpoint.root, proof)) {
      this.alarm(
        'inconsistent-checkpoint',
        origin,
        `a checkpoint of size ${checkpoint.size} for ${origin} is not consistent with the cosigned size ${known}`,
        `日志 ${origin} 的新检查点与已联署的检查点不一致`,
        {
          ...(state ? { cosigned: state.note } : {}),
          conflicting: checkpoint.note,
          oldSize,
        },
      );
      return reply(422, 'the consistency proof does not verify\n');
    }
    const line = this.cosigner.cosign(checkpoint.body, Math.floor(this.clock.now() / 1000));
    const stored = await this.options.state.compareAndSet(origin, known, {
      size: checkpoint.size,
      root: checkpoint.root,
      note: checkpoint.note,
    });
    if (!stored) {
      const now = await this.options.state.get(origin);
      return reply(409, `${now?.size ?? 0}\n`, SIZE);
    }
    return reply(200, `${line}\n`);
  }

  private alarm(
    kind: AlarmKind,
    origin: string,
    message: string,
    zh: string,
    evidence: Record<string, string | number>,
  ): void {
    this.alarms.raise({
      kind,
      origin,
      message,
      zh,
      at: this.clock.now(),
      evidence: { witness: this.options.name, ...evidence },
    });
  }

  /** Checks and updates of one log's state run one at a time (the race tlog-witness warns of). */
  private serialized<T>(origin: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(origin) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.catch(() => undefined);
    this.locks.set(origin, settled);
    void settled.then(() => {
      if (this.locks.get(origin) === settled) this.locks.delete(origin);
    });
    return run;
  }
}

const reply = (status: number, body: string, contentType = TEXT): WitnessResponse => ({
  status,
  body,
  contentType,
});

type AddCheckpointRequest =
  { ok: true; oldSize: number; proof: Uint8Array[]; note: string } | { ok: false; problem: string };

/** `old <size>`, up to 63 base64 proof lines, an empty line, then the checkpoint note. */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const blank = body.indexOf('\n\n');
  if (blank < 0) return { ok: false, problem: 'the request needs an empty line before the checkpoint' };
  const [first, ...proofLines] = body.slice(0, blank).split('\n');
  const old = /^old (0|[1-9][0-9]*)$/.exec(first ?? '');
  if (!old || !Number.isSafeInteger(Number(old[1])))
    return { ok: false, problem: 'the first line must be "old <size>"' };
  if (proofLines.length > MAX_PROOF_LINES)
    return { ok: false, problem: `more than ${MAX_PROOF_LINES} proof lines` };
  const proof: Uint8Array[] = [];
  for (const line of proofLines) {
    const hash = fromBase64(line);
    if (!hash || hash.length !== 32)
      return { ok: false, problem: 'each proof line must be a base64 SHA-256 hash' };
    proof.push(hash);
  }
  return { ok: true, oldSize: Number(old[1]), proof, note: body.slice(blank + 2) };
}

export function formatAddCheckpoint(oldSize: number, proof: readonly Uint8Array[], note: string): string {
  return `old ${oldSize}\n${proof.map((p) => `${Buffer.from(p).toString('base64')}\n`).join('')}\n${note}`;
}
