import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock, isCustodiaError } from '../core/index.js';
import { discoverRows } from '../classify/index.js';
import { openTestStore, testDialects } from '../store/testing.js';
import { catalogMigrations, createCatalog, type AssetInput } from './index.js';

const T = 'tenant-a';
const table = (name: string): AssetInput => ({
  kind: 'table',
  name,
  source: '医院 HIS 系统',
  purpose: '临床科研',
  storageLocation: 'pg://his/emr.patient',
  volume: { count: 1200, unit: 'rows' },
  updateFrequency: 'daily',
  responsiblePerson: '信息科 张主任',
});

const rejects = async (p: Promise<unknown>, code: string, match: RegExp) =>
  assert.rejects(p, (e) => isCustodiaError(e) && e.code === code && match.test(e.message));

for (const { dialect, skip } of testDialects()) {
  describe(`catalog on ${dialect}`, { skip }, () => {
    const setup = async () => {
      const t = await openTestStore(dialect, catalogMigrations);
      const clock = new ManualClock(Date.UTC(2026, 10, 23));
      return { t, clock, catalog: createCatalog({ store: t.store, clock }) };
    };

    test('registers an asset with the ledger dimensions and versions every update with who and when', async () => {
      const { t, clock, catalog } = await setup();
      try {
        const a = await catalog.registerAsset(T, table('门诊患者表'), 'alice');
        assert.equal(a.version, 1);
        clock.advance(1000);
        const b = await catalog.updateAsset(
          T,
          a.id,
          { responsiblePerson: '数据管理员 李四', volume: { count: 1300 } },
          'bob',
          1,
        );
        assert.equal(b.version, 2);
        assert.equal(b.volume.count, 1300);
        assert.equal(b.volume.unit, 'rows');
        const history = await catalog.history(T, a.id);
        assert.deepEqual(
          history.map((h) => [h.version, h.action, h.changedBy]),
          [
            [1, 'create', 'alice'],
            [2, 'update', 'bob'],
          ],
        );
        assert.deepEqual(history[1]!.changes.responsiblePerson, {
          from: '信息科 张主任',
          to: '数据管理员 李四',
        });
        assert.equal(history[1]!.changedAt, Date.UTC(2026, 10, 23) + 1000);
        // A stale version is refused rather than silently overwriting someone else's change.
        await rejects(catalog.updateAsset(T, a.id, { purpose: '质控' }, 'carol', 1), 'conflict', /version 2/);
        // Another tenant sees nothing.
        await rejects(catalog.getAsset('tenant-b', a.id), 'not-found', /no asset/);
      } finally {
        await t.dispose();
      }
    });

    test('refuses incomplete assets and unknown grades, naming the valid ones', async () => {
      const { t, catalog } = await setup();
      try {
        await rejects(
          catalog.registerAsset(T, { ...table('x'), responsiblePerson: ' ' }, 'a'),
          'bad-request',
          /responsiblePerson/,
        );
        await rejects(
          catalog.registerAsset(
            T,
            { ...table('x'), sensitivity: { scheme: 'seed-3-grade', grade: 'grade-9' } },
            'a',
          ),
          'not-found',
          /grade-9.*grade-3, grade-2, grade-1/,
        );
        await rejects(
          catalog.registerAsset(T, { ...table('x'), sensitivity: { scheme: 'nope', grade: 'g' } }, 'a'),
          'not-found',
          /nope.*seed-3-grade/,
        );
      } finally {
        await t.dispose();
      }
    });

    test('lineage forms a graph with ancestors and descendants, and refuses cycles', async () => {
      const { t, catalog } = await setup();
      try {
        const his = await catalog.registerAsset(T, table('HIS'), 'a');
        const fhir = await catalog.registerAsset(T, { ...table('FHIR store'), kind: 'fhir-collection' }, 'a');
        const extract = await catalog.registerAsset(T, { ...table('科研抽取'), kind: 'extract' }, 'a');
        const deid = await catalog.registerAsset(T, { ...table('去标识化数据集'), kind: 'file' }, 'a');
        await catalog.addLineage(T, his.id, fhir.id, 'ETL', 'a');
        await catalog.addLineage(T, fhir.id, extract.id, 'bulk export', 'a');
        await catalog.addLineage(T, extract.id, deid.id, 'k-anonymity k=5', 'a');
        await catalog.addLineage(T, his.id, extract.id, 'direct query', 'a');
        const up = await catalog.lineage(T, deid.id, 'ancestors');
        assert.deepEqual(
          up.map((n) => [n.asset.name, n.depth]),
          [
            ['科研抽取', 1],
            ['FHIR store', 2],
            ['HIS', 2],
          ],
        );
        const down = await catalog.lineage(T, his.id, 'descendants');
        assert.deepEqual(
          down.map((n) => [n.asset.name, n.depth]),
          [
            ['FHIR store', 1],
            ['科研抽取', 1],
            ['去标识化数据集', 2],
          ],
        );
        await rejects(catalog.addLineage(T, deid.id, his.id, 'loop', 'a'), 'conflict', /cycle/);
        assert.deepEqual(await catalog.lineage(T, his.id, 'ancestors'), []);
      } finally {
        await t.dispose();
      }
    });

    test('a steward confirms or overrides discovery proposals, only with a reason, and it is recorded', async () => {
      const { t, clock, catalog } = await setup();
      try {
        const a = await catalog.registerAsset(T, table('患者登记表'), 'alice');
        const report = discoverRows(
          ['姓名', '身份证号', '备注'],
          [
            ['张伟', '11010819790412342X', '无'],
            ['李娜', '110108198001013418', '复诊'],
          ],
        );
        const withProposals = await catalog.recordDiscovery(T, a.id, report, 'discovery-job');
        const idField = withProposals.fields.find((f) => f.name === '身份证号')!;
        assert.equal(idField.status, 'proposed');
        assert.equal(idField.identifierType, 'resident-id');
        await rejects(
          catalog.decideField(T, a.id, '身份证号', { action: 'confirm', reason: '' }, 'steward'),
          'bad-request',
          /reason/,
        );
        await rejects(
          catalog.decideField(
            T,
            a.id,
            '备注',
            { action: 'override', reason: '含自由文本', grade: 'grade-7' },
            'steward',
          ),
          'not-found',
          /grade-7/,
        );
        clock.advance(60_000);
        const { decision } = await catalog.decideField(
          T,
          a.id,
          '身份证号',
          { action: 'confirm', reason: '身份证号为直接标识符' },
          'steward',
        );
        assert.equal(decision.decidedAt, Date.UTC(2026, 10, 23) + 60_000);
        clock.advance(1000);
        const { asset } = await catalog.decideField(
          T,
          a.id,
          '备注',
          { action: 'override', reason: '备注中可能出现病情描述', grade: 'grade-2', identifierType: 'none' },
          'steward',
        );
        const note = asset.fields.find((f) => f.name === '备注')!;
        assert.equal(note.status, 'overridden');
        assert.deepEqual(note.grade, { scheme: 'seed-3-grade', grade: 'grade-2' });
        assert.equal(note.decidedBy, 'steward');
        const decisions = await catalog.fieldDecisions(T, a.id);
        assert.deepEqual(
          decisions.map((d) => [d.field, d.action, d.reason]),
          [
            ['身份证号', 'confirm', '身份证号为直接标识符'],
            ['备注', 'override', '备注中可能出现病情描述'],
          ],
        );
        // A new discovery run leaves the steward's decisions alone.
        const again = await catalog.recordDiscovery(T, a.id, report, 'discovery-job');
        assert.equal(again.fields.find((f) => f.name === '备注')!.status, 'overridden');
        assert.ok(
          (await catalog.history(T, a.id)).some(
            (v) => v.action === 'field-decision' && v.changedBy === 'steward',
          ),
        );
      } finally {
        await t.dispose();
      }
    });

    test('FHIR collections register themselves and keep volume and grades current', async () => {
      const { t, catalog } = await setup();
      try {
        const first = await catalog.upsertCollectionVolume(T, 'Condition', 10, { 'grade-2': 10 });
        assert.equal(first.kind, 'fhir-collection');
        assert.deepEqual(first.sensitivity, { scheme: 'seed-3-grade', grade: 'grade-2' });
        const second = await catalog.upsertCollectionVolume(T, 'Condition', 25, {
          'grade-2': 22,
          'grade-1': 3,
        });
        assert.equal(second.id, first.id);
        assert.equal(second.volume.count, 25);
        assert.deepEqual(second.sensitivity, { scheme: 'seed-3-grade', grade: 'grade-1' });
        await catalog.setTenantScheme(T, 'gbt-39725-2020', 'admin');
        await rejects(
          catalog.upsertCollectionVolume(T, 'Condition', 25, { 'grade-1': 25 }),
          'not-found',
          /level-1/,
        );
        await rejects(catalog.setTenantScheme(T, 'iso-27001', 'admin'), 'not-found', /hipaa/);
        const third = await catalog.upsertCollectionVolume(T, 'Condition', 25, {
          'level-4': 22,
          'level-5': 3,
        });
        assert.deepEqual(third.sensitivity, { scheme: 'gbt-39725-2020', grade: 'level-5' });
        assert.equal((await catalog.listAssets(T, { kind: 'fhir-collection' })).length, 1);
      } finally {
        await t.dispose();
      }
    });

    test('the inventory (清查登记) lists every active asset as JSON and CSV', async () => {
      const { t, catalog } = await setup();
      try {
        await catalog.registerAsset(
          T,
          { ...table('门诊患者表'), sensitivity: { scheme: 'seed-3-grade', grade: 'grade-2' } },
          'a',
        );
        const old = await catalog.registerAsset(T, table('旧表'), 'a');
        await catalog.updateAsset(T, old.id, { status: 'retired' }, 'a');
        await catalog.upsertCollectionVolume(T, 'Observation', 5, { 'grade-3': 5 });
        const inv = await catalog.inventory(T);
        assert.equal(inv.totals.assets, 2);
        assert.deepEqual(inv.totals.byKind, { table: 1, 'fhir-collection': 1 });
        const csv = await catalog.inventoryCsv(T);
        const lines = csv
          .replace(/^\ufeff/, '')
          .trim()
          .split('\n');
        assert.equal(lines.length, 3);
        assert.match(lines[0]!, /^资产编号\/id,资产名称\/name/);
        assert.ok(lines.some((l) => l.includes('门诊患者表') && l.includes('二级数据')));
        assert.ok(!csv.includes('旧表'));
      } finally {
        await t.dispose();
      }
    });
  });
}
