import { randomBytes } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import { CustodiaError, LruCache, systemClock, type Clock, type TenantId } from '../core/index.js';
import type { Store } from '../store/index.js';
import { KEY_BYTES } from './aead.js';
import { lengthPrefixed } from './bytes.js';
import { ciphertextGeneration, openWithDataKey, sealWithDataKey, type SealContext } from './envelope.js';
import { integrityError, patientErasedError } from './errors.js';
import type { KeyProvider } from './key-provider.js';
import type { CryptoTables } from './migrations.js';

export interface PatientCipherOptions {
  store: Store;
  keys: KeyProvider;
  clock?: Clock;
  /** Unwrapped data keys kept in memory (patients). Default 10,000 (≈ 1 MB). */
  cacheSize?: number;
  /**
   * How long an unwrapped key may serve reads before its row is read again. Bounds how long an
   * erasure made by another process (the CLI) takes to reach this one; erasures made through
   * this object take effect at once. Default 60 s.
   */
  cacheTtlMs?: number;
}

export interface RewrapProgress {
  readonly done: number;
  readonly total: number;
  readonly kekVersion: number;
}

export interface RewrapReport {
  readonly kekVersion: number;
  readonly rewrapped: number;
  /** Keys still under older versions (written meanwhile by a process that had not seen the rotation). */
  readonly remaining: number;
}

/** A patient's unwrapped data keys by generation, or the fact that the patient was erased. */
type PatientKeys = { erased: false; current: number; keys: Map<number, Buffer> } | { erased: true };

/**
 * Envelope encryption of resource bodies: each patient has a random AES-256-GCM data key,
 * wrapped by the tenant key of the `KeyProvider` and kept in `crypto_data_key`. Unwrapped keys
 * are cached (bounded LRU with a time to live) so a read costs one AES-GCM open, not a round
 * trip to the key provider.
 */
export class PatientCipher {
  private readonly db: Kysely<CryptoTables>;
  private readonly keys: KeyProvider;
  private readonly clock: Clock;
  private readonly cache: LruCache<string, PatientKeys>;
  private readonly loading = new Map<string, Promise<PatientKeys>>();

  constructor(options: PatientCipherOptions) {
    this.db = options.store.tables<CryptoTables>();
    this.keys = options.keys;
    this.clock = options.clock ?? systemClock;
    this.cache = new LruCache(options.cacheSize ?? 10_000, options.cacheTtlMs ?? 60_000, () =>
      this.clock.now(),
    );
  }

  /** Seals a resource body under its patient's current data key, creating the key on first use. */
  async seal(plaintext: Uint8Array, ctx: SealContext): Promise<Buffer> {
    const keys = await this.patientKeys(ctx.tenant, ctx.patient, true);
    if (keys.erased) throw patientErasedError(ctx.patient);
    return sealWithDataKey(keys.keys.get(keys.current)!, keys.current, plaintext, ctx);
  }

  /**
   * Makes sure each patient has a data key, creating the missing ones together: one lookup, one
   * call to the key provider and one transaction for a whole import chunk, where creating them
   * one by one on first seal would cost a round trip (and a commit) per new patient.
   */
  async ensureKeys(tenant: TenantId, patients: Iterable<string>): Promise<void> {
    const unknown = [...new Set(patients)].filter((p) => this.cache.get(cacheKey(tenant, p)) === undefined);
    if (unknown.length === 0) return;
    const known = new Set<string>();
    for (let i = 0; i < unknown.length; i += 500) {
      const rows = await this.db
        .selectFrom('crypto_data_key')
        .select('patient_key')
        .distinct()
        .where('tenant_id', '=', tenant)
        .where('patient_key', 'in', unknown.slice(i, i + 500))
        .execute();
      for (const r of rows) known.add(r.patient_key);
    }
    await this.insertNewKeys(
      tenant,
      unknown.filter((p) => !known.has(p)).map((patient) => ({ patient, generation: 1 })),
    );
  }

  /**
   * Opens a sealed body. Throws 'integrity' if any byte of it (or of its context) differs from
   * what was sealed, and 'gone' if the patient was erased.
   */
  async open(ciphertext: Uint8Array, ctx: SealContext): Promise<Buffer> {
    const generation = ciphertextGeneration(ciphertext);
    const keys = await this.patientKeys(ctx.tenant, ctx.patient, false);
    if (keys.erased) throw patientErasedError(ctx.patient);
    let key = keys.keys.get(generation);
    if (!key) {
      // A generation added by another process since we cached this patient's keys?
      this.cache.delete(cacheKey(ctx.tenant, ctx.patient));
      const fresh = await this.patientKeys(ctx.tenant, ctx.patient, false);
      if (fresh.erased) throw patientErasedError(ctx.patient);
      key = fresh.keys.get(generation);
      if (!key) throw integrityError('a sealed resource naming a data key this patient never had');
    }
    return openWithDataKey(key, ciphertext, ctx);
  }

  /** True when the patient's data key was destroyed. */
  async isErased(tenant: TenantId, patient: string): Promise<boolean> {
    return (await this.patientKeys(tenant, patient, false)).erased;
  }

  /**
   * Crypto-shredding: overwrites every wrapped data key of the patient with random bytes and
   * marks it destroyed, so nothing sealed for them can be opened again (by anyone holding the
   * tenant key too). Leaves a tombstone even for a patient without keys, so no new data is
   * sealed for an erased patient.
   */
  async destroyPatientKey(tenant: TenantId, patient: string): Promise<{ destroyed: number }> {
    const key = cacheKey(tenant, patient);
    const now = this.clock.now();
    const destroyed = await this.db.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('crypto_data_key')
        .select(['generation', sql<number>`length(wrapped_key)`.as('len')])
        .where('tenant_id', '=', tenant)
        .where('patient_key', '=', patient)
        .where('destroyed_at', 'is', null)
        .execute();
      for (const row of rows)
        await tx
          .updateTable('crypto_data_key')
          .set({ wrapped_key: randomBytes(Number(row.len)), destroyed_at: now })
          .where('tenant_id', '=', tenant)
          .where('patient_key', '=', patient)
          .where('generation', '=', row.generation)
          .execute();
      await tx
        .insertInto('crypto_data_key')
        .values({
          tenant_id: tenant,
          patient_key: patient,
          generation: 1,
          wrapped_key: randomBytes(60),
          kek_version: 0,
          created_at: now,
          destroyed_at: now,
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'patient_key', 'generation']).doNothing())
        .execute();
      return rows.length;
    });
    // Drop the unwrapped keys (and any load in flight). The buffers are not zeroed: a seal or
    // open already holding one would otherwise run under an all-zero key.
    this.cache.delete(key);
    this.loading.delete(key);
    return { destroyed };
  }

  /**
   * Starts a new data-key generation for the patient: new seals use it, bodies sealed under
   * older generations keep opening. For a key suspected of exposure (re-seal the bodies after).
   */
  async rotatePatientKey(tenant: TenantId, patient: string): Promise<number> {
    const keys = await this.patientKeys(tenant, patient, true);
    if (keys.erased) throw patientErasedError(patient);
    const generation = keys.current + 1;
    await this.insertNewKeys(tenant, [{ patient, generation }]);
    this.cache.delete(cacheKey(tenant, patient));
    return generation;
  }

  /**
   * `custodia keys rotate`: adds a tenant KEK version, then re-wraps every data key of the tenant
   * under it in batches. The data keys themselves do not change, so reads and writes go on
   * meanwhile: rows not yet re-wrapped still unwrap under the old version.
   */
  async rewrapAll(
    tenant: TenantId,
    onProgress?: (progress: RewrapProgress) => void,
    options: { batchSize?: number } = {},
  ): Promise<RewrapReport> {
    const batchSize = options.batchSize ?? 500;
    const kekVersion = await this.keys.rotateTenantKey(tenant);
    const total = await this.countOlderThan(tenant, kekVersion);
    let done = 0;
    onProgress?.({ done, total, kekVersion });
    // Keys written meanwhile by a process that had not yet seen the new version: a few more passes.
    for (let pass = 0; pass < 3; pass++) {
      let cursor: { patient: string; generation: number } | undefined;
      for (;;) {
        const after = cursor;
        const rows = await this.db
          .selectFrom('crypto_data_key')
          .select(['patient_key', 'generation', 'wrapped_key', 'kek_version'])
          .where('tenant_id', '=', tenant)
          .where('destroyed_at', 'is', null)
          .where('kek_version', '<', kekVersion)
          .$if(after !== undefined, (q) =>
            q.where((eb) =>
              eb.or([
                eb('patient_key', '>', after!.patient),
                eb.and([eb('patient_key', '=', after!.patient), eb('generation', '>', after!.generation)]),
              ]),
            ),
          )
          .orderBy('patient_key')
          .orderBy('generation')
          .limit(batchSize)
          .execute();
        if (rows.length === 0) break;
        const rewrapped = await this.keys.rewrap(
          tenant,
          rows.map((r) => ({
            key: { kekVersion: r.kek_version, wrapped: r.wrapped_key },
            context: dataKeyContext(tenant, r.patient_key, r.generation),
          })),
        );
        await this.db.transaction().execute(async (tx) => {
          for (const [i, row] of rows.entries())
            await tx
              .updateTable('crypto_data_key')
              .set({ wrapped_key: rewrapped[i]!.wrapped, kek_version: rewrapped[i]!.kekVersion })
              .where('tenant_id', '=', tenant)
              .where('patient_key', '=', row.patient_key)
              .where('generation', '=', row.generation)
              .where('kek_version', '=', row.kek_version)
              .where('destroyed_at', 'is', null)
              .execute();
        });
        done += rows.length;
        onProgress?.({ done, total: Math.max(total, done), kekVersion });
        const last = rows[rows.length - 1]!;
        cursor = { patient: last.patient_key, generation: last.generation };
        // better-sqlite3 answers synchronously: without this the whole re-wrap would run as one
        // chain of microtasks and the server beside it would answer no request until it ended.
        await setImmediate();
      }
      if ((await this.countOlderThan(tenant, kekVersion)) === 0) break;
    }
    return { kekVersion, rewrapped: done, remaining: await this.countOlderThan(tenant, kekVersion) };
  }

  /** Forgets every unwrapped key (e.g. after a restore). */
  clearCache(): void {
    this.cache.clear();
  }

  private async countOlderThan(tenant: TenantId, kekVersion: number): Promise<number> {
    const { n } = await this.db
      .selectFrom('crypto_data_key')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('tenant_id', '=', tenant)
      .where('destroyed_at', 'is', null)
      .where('kek_version', '<', kekVersion)
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  private async patientKeys(tenant: TenantId, patient: string, create: boolean): Promise<PatientKeys> {
    const key = cacheKey(tenant, patient);
    const cached = this.cache.get(key);
    if (cached) return cached;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(tenant, patient);
      this.loading.set(key, pending);
    }
    try {
      const loaded = await pending;
      // Cache only if no erasure overtook the load (it removes the entry from `loading`).
      if (this.loading.get(key) === pending) this.cache.set(key, loaded);
      if (loaded.erased || loaded.current > 0 || !create) return loaded;
    } finally {
      if (this.loading.get(key) === pending) this.loading.delete(key);
    }
    await this.insertNewKeys(tenant, [{ patient, generation: 1 }]);
    this.cache.delete(key);
    return this.patientKeys(tenant, patient, false);
  }

  private async load(tenant: TenantId, patient: string): Promise<PatientKeys> {
    const rows = await this.db
      .selectFrom('crypto_data_key')
      .select(['generation', 'wrapped_key', 'kek_version', 'destroyed_at'])
      .where('tenant_id', '=', tenant)
      .where('patient_key', '=', patient)
      .execute();
    if (rows.some((r) => r.destroyed_at !== null)) return { erased: true };
    const unwrapped = await this.keys.unwrap(
      tenant,
      rows.map((r) => ({
        key: { kekVersion: r.kek_version, wrapped: r.wrapped_key },
        context: dataKeyContext(tenant, patient, r.generation),
      })),
    );
    for (const k of unwrapped)
      if (k.length !== KEY_BYTES) throw integrityError(`the data key of patient ${patient}`);
    const keys = new Map(rows.map((r, i) => [r.generation, unwrapped[i]!]));
    return { erased: false, current: Math.max(0, ...keys.keys()), keys };
  }

  /**
   * Inserts new wrapped data keys in one call to the key provider and one transaction; a key loses
   * quietly to a concurrent writer of the same patient and generation (seal reads whichever is stored).
   */
  private async insertNewKeys(
    tenant: TenantId,
    wanted: readonly { patient: string; generation: number }[],
  ): Promise<void> {
    if (wanted.length === 0) return;
    const dataKeys = wanted.map(() => randomBytes(KEY_BYTES));
    const wrapped = await this.keys.wrap(
      tenant,
      wanted.map((w, i) => ({
        plaintext: dataKeys[i]!,
        context: dataKeyContext(tenant, w.patient, w.generation),
      })),
    );
    for (const k of dataKeys) k.fill(0);
    if (wrapped.length !== wanted.length)
      throw new CustodiaError('internal', 'the key provider returned fewer wrapped keys than asked for');
    const now = this.clock.now();
    const rows = wanted.map((w, i) => ({
      tenant_id: tenant,
      patient_key: w.patient,
      generation: w.generation,
      wrapped_key: wrapped[i]!.wrapped,
      kek_version: wrapped[i]!.kekVersion,
      created_at: now,
      destroyed_at: null,
    }));
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < rows.length; i += 500)
        await tx
          .insertInto('crypto_data_key')
          .values(rows.slice(i, i + 500))
          .onConflict((oc) => oc.columns(['tenant_id', 'patient_key', 'generation']).doNothing())
          .execute();
    });
  }
}

const cacheKey = (tenant: TenantId, patient: string) => `${tenant}\u0000${patient}`;

/** A wrapped data key is bound to its tenant, patient and generation. */
const dataKeyContext = (tenant: TenantId, patient: string, generation: number) =>
  lengthPrefixed('custodia.data-key.v1', [tenant, patient, generation]);
