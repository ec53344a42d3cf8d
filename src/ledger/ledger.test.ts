import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { isCustodiaError } from '../core/index.js';
import { openTestStore, testDialects } from '../store/testing.js';
import { Alarms, type LedgerAlarm } from './alarm.js';
import { Ledger } from './ledger.js';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle.js';
import { randomSeed, toBase64, toHex } from './primitives.js';
import { ledgerMigrations, type LedgerTables } from './schema.js';
import { sampleEntry, tokenFor } from './testing.js';
import { verifyEntryInclusion, verifyCheckpoint } from './verifier.js';
import { verifyLog } from './verify.js';

const ORIGIN = 'audit.hospital-a.example/custodia';

async function fixture(
  dialect: 'sqlite' | 'postgres',
  n: number,
  cadence = { everyEntries: 50, everyMs: 0 },
) {
  const t = await openTestStore(dialect, ledgerMigrations);
  const seed = randomSeed();
  const open = () =>
    Ledger.open(t.store, { tenantId: 'tenant-a', origin: ORIGIN, signingKey: seed, cadence });
  const ledger = await open();
  // Waves of 50 concurrent appends: the cadence signs a checkpoint after each.
  for (let start = 0; start < n; start += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, n - start) }, (_, i) => ledger.append(sampleEntry(start + i))),
    );
  await ledger.checkpoint();
  const verify = (extra: { trusted?: string[] } = {}) =>
    verifyLog(t.store, { tenantId: 'tenant-a', origin: ORIGIN, logKeys: [ledger.verifierKey], ...extra });
  const raw = async (query: string) => {
    await sql.raw(query).execute(t.store.tables());
  };
  return {
    t,
    seed,
    ledger,
    open,
    verify,
    raw,
    dispose: async () => {
      await ledger.close();
      await t.dispose();
    },
  };
}

for (const { dialect, skip } of testDialects()) {
  describe(`ledger on ${dialect}`, { skip }, () => {
    test('concurrent appends get consecutive indexes and are durable at resolution', async () => {
      const f = await fixture(dialect, 0);
      try {
        const receipts = await Promise.all(
          Array.from({ length: 300 }, (_, i) => f.ledger.append(sampleEntry(i))),
        );
        assert.deepEqual(
          receipts.map((r) => r.index),
          Array.from({ length: 300 }, (_, i) => i),
        );
        const stored = await f.ledger.get(123);
        assert.deepEqual(stored.entry, sampleEntry(123));
        assert.equal(toHex(stored.leafHash), toHex(leafHash(stored.bytes)));
        // Reopening from the database alone restores the same tree.
        const root = await f.ledger.rootAt();
        await f.ledger.close();
        const again = await f.open();
        assert.equal(again.size, 300);
        assert.equal(toBase64(await again.rootAt()), toBase64(root));
        await again.close();
      } finally {
        await f.t.dispose();
      }
    });

    test('inclusion proofs of every entry verify against the signed checkpoint', async () => {
      const f = await fixture(dialect, 137);
      try {
        const policy = { origin: ORIGIN, logKeys: [f.ledger.verifierKey] };
        for (let i = 0; i < 137; i++) {
          const proof = await f.ledger.proveInclusion(i);
          const trusted = verifyCheckpoint(proof.checkpoint, policy);
          assert.ok(trusted.ok);
          assert.ok(
            verifyInclusion(i, proof.treeSize, proof.leafHash, proof.path, trusted.value.root),
            `entry ${i}`,
          );
          const { bytes } = await f.ledger.get(i);
          const json = {
            index: i,
            treeSize: proof.treeSize,
            path: proof.path.map(toBase64),
            checkpoint: proof.checkpoint,
          };
          assert.ok(verifyEntryInclusion(bytes, json, policy).ok);
          assert.equal(
            verifyEntryInclusion((await f.ledger.get((i + 1) % 137)).bytes, json, policy).ok,
            false,
          );
        }
        // Proofs against an older checkpoint the log signed at the cadence (size 50).
        const old = await f.ledger.proveInclusion(7, 50);
        assert.equal(old.treeSize, 50);
        const cp = await f.ledger.checkpointAt(50);
        assert.ok(cp && verifyInclusion(7, 50, old.leafHash, old.path, cp.root));
      } finally {
        await f.dispose();
      }
    });

    test('an unknown entry is not-found; a bad tree size is a bad request', async () => {
      const f = await fixture(dialect, 5);
      try {
        await assert.rejects(
          f.ledger.proveInclusion(5),
          (e) => isCustodiaError(e) && e.code === 'not-found' && e.status === 404 && !!e.zh,
        );
        await assert.rejects(f.ledger.get(-1), (e) => isCustodiaError(e) && e.code === 'not-found');
        await assert.rejects(
          f.ledger.proveInclusion(1, 4),
          (e) => isCustodiaError(e) && e.code === 'bad-request',
        );
      } finally {
        await f.dispose();
      }
    });

    test('consistency proofs between checkpoints verify; entries with identifiers are refused', async () => {
      const f = await fixture(dialect, 120);
      try {
        const a = (await f.ledger.checkpointAt(50))!;
        const b = f.ledger.latestCheckpoint()!;
        const proof = await f.ledger.proveConsistency(a.size, b.size);
        assert.ok(verifyConsistency(a.size, b.size, a.root, b.root, proof));
        await f.ledger.checkConsistency(a.note, b.note);
        const withId = { ...sampleEntry(1), targets: ['11010519491231002X'] } as unknown as Parameters<
          Ledger['append']
        >[0];
        await assert.rejects(
          f.ledger.append(withId),
          (e) => isCustodiaError(e) && e.code === 'bad-request' && e.path === 'targets[0]',
        );
      } finally {
        await f.dispose();
      }
    });

    test('queries by patient, actor, action and time', async () => {
      const f = await fixture(dialect, 60);
      try {
        const byPatient = await f.ledger.query({ patient: tokenFor(3) });
        assert.deepEqual(
          byPatient.entries.map((e) => e.index),
          [3, 13, 23, 33, 43, 53],
        );
        const byActor = await f.ledger.query({ actor: 'nurse.li.na', limit: 5 });
        assert.deepEqual(
          byActor.entries.map((e) => e.index),
          [1, 5, 9, 13, 17],
        );
        assert.equal(byActor.next, 17);
        const page2 = await f.ledger.query({ actor: 'nurse.li.na', limit: 5, after: byActor.next });
        assert.equal(page2.entries[0]!.index, 21);
        const t0 = sampleEntry(0).time;
        const window = await f.ledger.query({ action: 'Patient.read', from: t0 + 10_000, to: t0 + 30_000 });
        assert.deepEqual(
          window.entries.map((e) => e.index),
          [13, 17, 21, 25, 29],
        );
        // A written resource is found by its provenance; a read of one through its patient.
        const written = await f.ledger.query({ subject: 'resource:Observation/obs-5' });
        assert.deepEqual(
          written.entries.map((e) => e.entry.kind),
          ['write'],
        );
        const read = await f.ledger.query({ subject: 'resource:Observation/obs-4' });
        assert.deepEqual(read.entries, []);
      } finally {
        await f.dispose();
      }
    });

    test('an untouched log verifies, also against a trusted checkpoint', async () => {
      const f = await fixture(dialect, 200);
      try {
        const report = await f.verify({ trusted: [f.ledger.latestCheckpoint()!.note] });
        assert.ok(report.ok, JSON.stringify(report));
        assert.equal(report.entriesChecked, 200);
        assert.equal(report.checkpointsChecked, 5);
      } finally {
        await f.dispose();
      }
    });

    type Fixture = Awaited<ReturnType<typeof fixture>>;
    type LeafRow = { ledger_leaf: { idx: number; entry: Uint8Array; leaf_hash: Uint8Array } };
    const setLeaf = async (f: Fixture, index: number, bytes: Uint8Array, hash?: Uint8Array) => {
      const db = f.t.store.tables<LeafRow>();
      const values = hash
        ? { entry: Buffer.from(bytes), leaf_hash: Buffer.from(hash) }
        : { entry: Buffer.from(bytes) };
      await db.updateTable('ledger_leaf').set(values).where('idx', '=', index).execute();
    };
    const rewrite = async (f: Fixture, index: number) =>
      Buffer.from(
        Buffer.from((await f.ledger.get(index)).bytes)
          .toString()
          .replace('"permit"', '"deny"'),
      );
    const tampering: [string, (f: Fixture) => Promise<void>, string, number][] = [
      ['a changed entry', async (f) => setLeaf(f, 39, await rewrite(f, 39)), 'leaf-hash', 39],
      [
        'a changed entry with a recomputed leaf hash',
        async (f) => {
          const bytes = await rewrite(f, 39);
          await setLeaf(f, 39, bytes, leafHash(bytes));
        },
        'root',
        50,
      ],
      ['a deleted entry', (f) => f.raw('delete from ledger_leaf where idx = 71'), 'gap', 71],
      [
        'two swapped entries (columns swapped too)',
        async (f) => {
          // Move whole rows, search columns included, as an insider with SQL access would.
          const db = f.t.store.tables<LedgerTables>();
          const rows = await db
            .selectFrom('ledger_leaf')
            .selectAll()
            .where('idx', 'in', [12, 24])
            .orderBy('idx')
            .execute();
          await db.deleteFrom('ledger_leaf').where('idx', 'in', [12, 24]).execute();
          await db
            .insertInto('ledger_leaf')
            .values([
              { ...rows[0]!, idx: 24 },
              { ...rows[1]!, idx: 12 },
            ])
            .execute();
        },
        'root',
        50,
      ],
      ['a truncated log', (f) => f.raw('delete from ledger_leaf where idx >= 190'), 'truncated', 190],
      [
        'a changed search column',
        (f) => f.raw(`update ledger_leaf set actor = 'someone-else' where idx = 12`),
        'columns',
        12,
      ],
      [
        'a changed tile hash',
        (f) =>
          f.raw(
            'update ledger_node set hash = (select leaf_hash from ledger_leaf where idx = 0) where idx = 3',
          ),
        'tile-hash',
        48,
      ],
      [
        'a forged checkpoint row',
        (f) => f.raw('update ledger_checkpoint set size = size + 1 where size = 100'),
        'checkpoint',
        101,
      ],
    ];
    for (const [what, tamper, kind, index] of tampering) {
      test(`verification detects ${what}`, async () => {
        const f = await fixture(dialect, 200);
        try {
          assert.ok((await f.verify()).ok);
          await tamper(f);
          const after = await f.verify();
          assert.equal(after.ok, false, what);
          if (!after.ok) {
            assert.equal(after.problem.kind, kind, JSON.stringify(after.problem));
            assert.equal(after.problem.index, index);
            assert.ok(after.problem.zh.length > 0);
          }
        } finally {
          await f.dispose();
        }
      });
    }

    test('reopening a truncated log refuses to continue it and raises an alarm', async () => {
      const f = await fixture(dialect, 100);
      try {
        await f.ledger.close();
        await f.raw('delete from ledger_leaf where idx >= 90');
        const raised: LedgerAlarm[] = [];
        const alarms = new Alarms();
        alarms.on((a) => raised.push(a));
        await assert.rejects(
          Ledger.open(f.t.store, {
            tenantId: 'tenant-a',
            origin: ORIGIN,
            signingKey: f.seed,
            cadence: { everyMs: 0 },
            alarms,
          }),
          (e) => isCustodiaError(e) && e.code === 'integrity' && /90 entries/.test(e.message),
        );
        assert.deepEqual(
          raised.map((a) => a.kind),
          ['tampered-log'],
        );
      } finally {
        await f.t.dispose();
      }
    });
  });
}
