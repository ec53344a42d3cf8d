import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { ManualClock, type TenantId } from '../core/index.js';
import { openTestStore, testDialects, type TestStore } from '../store/testing.js';
import { CIPHERTEXT_OVERHEAD, type SealContext } from './envelope.js';
import { LocalKeyring } from './local-keyring.js';
import { cryptoMigrations, type CryptoTables } from './migrations.js';
import { PatientCipher } from './patient-cipher.js';

const T = 'region-zj' as TenantId;
const ctx = (patient: string, id = 'obs-1', version: string | number = 1): SealContext => ({
  tenant: T,
  patient,
  resourceType: 'Observation',
  id,
  version,
});
const body = (s: string) => Buffer.from(JSON.stringify({ resourceType: 'Observation', note: s }));

async function setup(dialect: 'sqlite' | 'postgres', cacheSize?: number) {
  const t: TestStore = await openTestStore(dialect, cryptoMigrations);
  const keys = await LocalKeyring.open({ dataDir: t.dataDir, masterKey: randomBytes(32) });
  const clock = new ManualClock();
  const make = (size = cacheSize) =>
    new PatientCipher({ store: t.store, keys, clock, ...(size === undefined ? {} : { cacheSize: size }) });
  return { t, keys, clock, cipher: make(), make, db: t.store.tables<CryptoTables>() };
}

for (const { dialect, skip } of testDialects()) {
  describe(`PatientCipher on ${dialect}`, { skip }, () => {
    test('seals in the v1 format and opens with a fresh cache', async () => {
      const { t, cipher, make, db } = await setup(dialect);
      try {
        const plain = body('张三 血压 120/80');
        const sealed = await cipher.seal(plain, ctx('p1'));
        assert.equal(sealed[0], 1);
        assert.equal(sealed.readUInt32BE(1), 1, 'first data-key generation');
        assert.equal(sealed.length, plain.length + CIPHERTEXT_OVERHEAD);
        assert.ok(!sealed.includes(Buffer.from('张三')));
        assert.deepEqual(await make().open(sealed, ctx('p1')), plain);
        const rows = await db.selectFrom('crypto_data_key').selectAll().execute();
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.kek_version, 1);
        assert.equal(rows[0]!.destroyed_at, null);
      } finally {
        await t.dispose();
      }
    });

    test('every flipped byte and every truncation fails with integrity, never garbage', async () => {
      const { t, cipher } = await setup(dialect);
      try {
        const sealed = await cipher.seal(Buffer.from('{"a":1}'), ctx('p1'));
        for (let i = 0; i < sealed.length; i++) {
          for (const mask of [0x01, 0x80]) {
            const tampered = Buffer.from(sealed);
            tampered[i]! ^= mask;
            await assert.rejects(cipher.open(tampered, ctx('p1')), { code: 'integrity' }, `byte ${i}`);
          }
        }
        for (let n = 0; n < sealed.length; n++)
          await assert.rejects(
            cipher.open(sealed.subarray(0, n), ctx('p1')),
            { code: 'integrity' },
            `length ${n}`,
          );
        await assert.rejects(cipher.open(Buffer.concat([sealed, Buffer.alloc(1)]), ctx('p1')), {
          code: 'integrity',
        });
      } finally {
        await t.dispose();
      }
    });

    test('a ciphertext opens only under the context it was sealed for', async () => {
      const { t, cipher } = await setup(dialect);
      try {
        await cipher.seal(Buffer.from('x'), ctx('p2'));
        const sealed = await cipher.seal(Buffer.from('{"a":1}'), ctx('p1', 'o1', '3'));
        const wrong: SealContext[] = [
          { ...ctx('p1', 'o1', '3'), tenant: 'region-sh' as TenantId },
          { ...ctx('p1', 'o1', '3'), resourceType: 'Condition' },
          ctx('p1', 'o2', '3'),
          ctx('p1', 'o1', '4'),
          ctx('p2', 'o1', '3'),
        ];
        for (const w of wrong)
          await assert.rejects(cipher.open(sealed, w), { code: 'integrity' }, JSON.stringify(w));
        assert.deepEqual(
          await cipher.open(sealed, ctx('p1', 'o1', 3)),
          Buffer.from('{"a":1}'),
          'version 3 = "3"',
        );
      } finally {
        await t.dispose();
      }
    });

    test('a tampered wrapped key fails with integrity', async () => {
      const { t, cipher, make, db } = await setup(dialect);
      try {
        const sealed = await cipher.seal(Buffer.from('x'), ctx('p1'));
        const row = await db.selectFrom('crypto_data_key').selectAll().executeTakeFirstOrThrow();
        const wrapped = Buffer.from(row.wrapped_key);
        wrapped[20]! ^= 1;
        await db.updateTable('crypto_data_key').set({ wrapped_key: wrapped }).execute();
        await assert.rejects(make().open(sealed, ctx('p1')), { code: 'integrity' });
      } finally {
        await t.dispose();
      }
    });

    test('destroying a patient key makes their data gone, here and in a fresh process', async () => {
      const { t, cipher, make, db } = await setup(dialect);
      try {
        const sealed = await cipher.seal(Buffer.from('secret'), ctx('p1'));
        const other = await cipher.seal(Buffer.from('kept'), ctx('p2'));
        const before = await db
          .selectFrom('crypto_data_key')
          .selectAll()
          .where('patient_key', '=', 'p1')
          .executeTakeFirstOrThrow();
        assert.deepEqual(await cipher.destroyPatientKey(T, 'p1'), { destroyed: 1 });
        const after = await db
          .selectFrom('crypto_data_key')
          .selectAll()
          .where('patient_key', '=', 'p1')
          .executeTakeFirstOrThrow();
        assert.notDeepEqual(Buffer.from(after.wrapped_key), Buffer.from(before.wrapped_key));
        assert.notEqual(after.destroyed_at, null);
        for (const c of [cipher, make()]) {
          await assert.rejects(c.open(sealed, ctx('p1')), { code: 'gone', message: /erased/ });
          await assert.rejects(c.seal(Buffer.from('new'), ctx('p1')), { code: 'gone' });
          assert.equal(await c.isErased(T, 'p1'), true);
          assert.deepEqual(await c.open(other, ctx('p2')), Buffer.from('kept'));
        }
        // Erasing someone with no data yet still stops anything being sealed for them.
        await cipher.destroyPatientKey(T, 'never-seen');
        await assert.rejects(cipher.seal(Buffer.from('new'), ctx('never-seen')), { code: 'gone' });
      } finally {
        await t.dispose();
      }
    });

    test('re-wrapping under a new tenant key keeps old data readable, also after retiring the old key', async () => {
      const { t, cipher, make, keys, db } = await setup(dialect);
      try {
        const sealed = await Promise.all(
          Array.from({ length: 12 }, (_, i) => cipher.seal(Buffer.from(`body ${i}`), ctx(`p${i}`))),
        );
        await cipher.destroyPatientKey(T, 'p11');
        const progress: number[] = [];
        const report = await cipher.rewrapAll(T, (p) => progress.push(p.done), { batchSize: 5 });
        assert.deepEqual(report, { kekVersion: 2, rewrapped: 11, remaining: 0 });
        assert.deepEqual(progress, [0, 5, 10, 11]);
        const versions = await db
          .selectFrom('crypto_data_key')
          .select('kek_version')
          .where('destroyed_at', 'is', null)
          .execute();
        assert.ok(versions.every((v) => v.kek_version === 2));
        await keys.retireKeyVersionsBelow(T, 2);
        const fresh = make();
        for (let i = 0; i < 11; i++)
          assert.deepEqual(await fresh.open(sealed[i]!, ctx(`p${i}`)), Buffer.from(`body ${i}`));
        await assert.rejects(fresh.open(sealed[11]!, ctx('p11')), { code: 'gone' });
      } finally {
        await t.dispose();
      }
    });

    test('reads keep working while every key is being re-wrapped', async () => {
      // No cache: every open unwraps from the table, so opens really race the re-wrap.
      const { t, make } = await setup(dialect, 0);
      try {
        const cipher = make();
        const n = 40;
        const sealed = await Promise.all(
          Array.from({ length: n }, (_, i) => cipher.seal(Buffer.from(`b${i}`), ctx(`p${i}`))),
        );
        let opened = 0;
        const openedAtProgress: number[] = [];
        let rewrapping = true;
        const readers = Array.from({ length: 3 }, async (_, r) => {
          for (let i = r; rewrapping; i = (i + 1) % n) {
            assert.deepEqual(await cipher.open(sealed[i]!, ctx(`p${i}`)), Buffer.from(`b${i}`));
            opened++;
            // Requests arrive as separate events: yield, as a server between requests does.
            await setImmediate();
          }
        });
        const report = await cipher
          .rewrapAll(T, () => openedAtProgress.push(opened), { batchSize: 4 })
          .finally(() => (rewrapping = false));
        await Promise.all(readers);
        assert.equal(report.rewrapped, n);
        assert.ok(
          openedAtProgress[openedAtProgress.length - 1]! > openedAtProgress[0]!,
          'reads ran during the re-wrap',
        );
        for (let i = 0; i < n; i++)
          assert.deepEqual(await cipher.open(sealed[i]!, ctx(`p${i}`)), Buffer.from(`b${i}`));
      } finally {
        await t.dispose();
      }
    });

    test('a new data-key generation seals new data; old generations still open', async () => {
      const { t, cipher, make } = await setup(dialect);
      try {
        const old = await cipher.seal(Buffer.from('old'), ctx('p1'));
        assert.equal(await cipher.rotatePatientKey(T, 'p1'), 2);
        const fresh = await cipher.seal(Buffer.from('new'), ctx('p1', 'o2'));
        assert.equal(fresh.readUInt32BE(1), 2);
        const other = make();
        assert.deepEqual(await other.open(old, ctx('p1')), Buffer.from('old'));
        assert.deepEqual(await other.open(fresh, ctx('p1', 'o2')), Buffer.from('new'));
      } finally {
        await t.dispose();
      }
    });

    test('concurrent first writes for a patient agree on one data key', async () => {
      const { t, make, db } = await setup(dialect);
      try {
        const a = make();
        const b = make();
        const sealed = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? a : b).seal(Buffer.from(`v${i}`), ctx('p1', `o${i}`)),
          ),
        );
        const rows = await db.selectFrom('crypto_data_key').selectAll().execute();
        assert.equal(rows.length, 1);
        const reader = make();
        for (let i = 0; i < 10; i++)
          assert.deepEqual(await reader.open(sealed[i]!, ctx('p1', `o${i}`)), Buffer.from(`v${i}`));
      } finally {
        await t.dispose();
      }
    });
  });
}
