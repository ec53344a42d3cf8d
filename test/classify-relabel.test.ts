/**
 * Switching the tenant's grading scheme over HTTP, on both dialects: the choice is stored, new
 * writes are labelled under it at once, stored resources are relabelled in batches (opened,
 * labelled, resealed) with labels set by hand kept, `_security` search follows the new labels,
 * the catalog's collections take the new grades, and the ledger records the switch and the
 * relabelled resources.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getScheme, gradeSystem } from '../src/classify/index.js';
import { relabelResources } from '../src/records/index.js';
import { testDialects } from '../src/store/testing.js';
import { loginAs, startTestSystem, type TestSystem } from './helpers/system.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const SEED = gradeSystem('seed-3-grade');
const GBT = gradeSystem('gbt-39725-2020');

for (const { dialect, skip } of testDialects()) {
  describe(`grading scheme switch and relabelling (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    const tokens: Record<string, string> = {};
    const ids: Record<string, string> = {};
    const call = (who: string, method: string, url: string, payload?: unknown) =>
      ts.app.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${tokens[who]}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/fhir+json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const search = async (query: string) => {
      const r = await call('doctor', 'GET', `/fhir/${query}`);
      assert.equal(r.statusCode, 200, r.body);
      return ((r.json().entry ?? []) as Json[]).map((e) => e.resource.id as string).sort();
    };
    const waitForJob = async () => {
      for (let i = 0; i < 200; i++) {
        const state = (await call('admin', 'GET', '/admin/grading-scheme')).json();
        if (state.job && state.job.state !== 'running') return state;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('the relabelling did not finish');
    };
    const condition = (code: string, patient: string, extra: Json = {}) => ({
      resourceType: 'Condition',
      subject: { reference: `Patient/${patient}` },
      code: { coding: [{ system: ICD10, code }] },
      ...extra,
    });

    before(async () => {
      ts = await startTestSystem(dialect);
      tokens.doctor = await loginAs(ts, 'doctor', ['clinician']);
      tokens.admin = await loginAs(ts, 'admin', ['admin']);
      tokens.steward = await loginAs(ts, 'steward', ['data-steward']);
      const created = async (name: string, body: Json) => {
        const r = await call('doctor', 'POST', `/fhir/${body.resourceType as string}`, body);
        assert.equal(r.statusCode, 201, r.body);
        ids[name] = r.json().id;
      };
      await created('patient', { resourceType: 'Patient', name: [{ family: '郑', given: ['一'] }] });
      await created('hiv', condition('B20', ids.patient!));
      await created('hypertension', condition('I10', ids.patient!));
      // A label a person set by hand (userSelected) survives every relabelling.
      await created(
        'handLabelled',
        condition('J45', ids.patient!, {
          meta: { security: [{ system: ACT_CODE, code: 'PSY', userSelected: true }] },
        }),
      );
      // More than one batch's worth of resources would need 500; the pass is tested for paging below.
      for (let i = 0; i < 12; i++) await created(`extra${i}`, condition('E11.9', ids.patient!));
    });
    after(async () => ts?.dispose());

    test('before: labels and search under the seed scheme', async () => {
      assert.deepEqual(
        await search(`Condition?_security=${SEED}|grade-1`),
        [ids.handLabelled, ids.hiv].sort(),
      );
      assert.deepEqual(await search(`Condition?_security=${GBT}|level-5`), []);
      const state = (await call('admin', 'GET', '/admin/grading-scheme')).json();
      assert.equal(state.scheme.id, 'seed-3-grade');
      assert.equal(state.chosen, undefined);
    });

    test('bad input and roles: unknown scheme names the valid ones; only admins switch', async () => {
      const unknown = await call('admin', 'PUT', '/admin/grading-scheme', { scheme: 'iso-27799' });
      assert.equal(unknown.statusCode, 400);
      assert.match(unknown.json().detail, /unknown grading scheme "iso-27799"; valid schemes: /);
      assert.deepEqual([...unknown.json().valid].sort(), ['gbt-39725-2020', 'hipaa', 'seed-3-grade']);
      assert.equal(
        (await call('steward', 'PUT', '/admin/grading-scheme', { scheme: 'hipaa' })).statusCode,
        403,
      );
      assert.equal(
        (await call('doctor', 'PUT', '/admin/grading-scheme', { scheme: 'hipaa' })).statusCode,
        403,
      );
      assert.equal((await call('doctor', 'POST', '/admin/grading-scheme/relabel', {})).statusCode, 403);
      const schemes = (await call('doctor', 'GET', '/classify/schemes')).json();
      assert.deepEqual(schemes.map((s: Json) => s.id).sort(), ['gbt-39725-2020', 'hipaa', 'seed-3-grade']);
    });

    test('switching to GB/T 39725-2020 relabels every stored resource and search follows', async () => {
      const before = ts.system.ledger.size;
      const started = await call('admin', 'PUT', '/admin/grading-scheme', { scheme: 'gbt-39725-2020' });
      assert.equal(started.statusCode, 202, started.body);
      assert.equal(started.json().job.scheme, 'gbt-39725-2020');
      assert.equal(started.json().job.previousScheme, 'seed-3-grade');
      const state = await waitForJob();
      assert.equal(state.job.state, 'done', JSON.stringify(state.job));
      assert.equal(state.job.report.scanned, 16);
      assert.equal(state.job.report.relabelled, 16);
      assert.equal(state.scheme.id, 'gbt-39725-2020');
      const admin = (await ts.system.directory.findUser(ts.system.tenantId, 'admin'))!.id;
      assert.equal(state.chosen.updatedBy, admin);
      assert.equal(await ts.system.catalog.tenantScheme(ts.system.tenantId), 'gbt-39725-2020');

      const hiv = (await call('doctor', 'GET', `/fhir/Condition/${ids.hiv}`)).json();
      const codes = (hiv.meta.security as Json[]).map((c) => `${c.system}|${c.code}`);
      assert.ok(codes.includes(`${GBT}|level-5`), codes.join(' '));
      assert.ok(!codes.some((c) => c.startsWith(SEED)), 'no grade of the old scheme is left');
      assert.equal(hiv.meta.versionId, '1', 'labels are metadata: the version stays');
      const hand = (await call('doctor', 'GET', `/fhir/Condition/${ids.handLabelled}`)).json();
      assert.ok(
        (hand.meta.security as Json[]).some((c) => c.code === 'PSY' && c.userSelected === true),
        'the label set by hand is kept',
      );
      assert.ok((hand.meta.security as Json[]).some((c) => c.system === GBT && c.code === 'level-5'));

      assert.deepEqual(
        await search(`Condition?_security=${GBT}|level-5`),
        [ids.handLabelled, ids.hiv].sort(),
      );
      assert.deepEqual(await search(`Condition?_security=${SEED}|grade-1`), []);
      assert.equal((await search(`Condition?_security=${GBT}|level-4`)).length, 13);

      // New writes are labelled under the new scheme at once.
      const fresh = await call('doctor', 'POST', '/fhir/Condition', condition('F32', ids.patient!));
      assert.ok((fresh.json().meta.security as Json[]).some((c) => c.system === GBT && c.code === 'level-5'));

      // The catalog's collections carry the new scheme's grades.
      const assets = (await call('admin', 'GET', '/catalog/assets?kind=fhir-collection')).json() as Json[];
      const conditions = assets.find((a) => a.naturalKey === 'fhir:Condition')!;
      assert.deepEqual(conditions.sensitivity, { scheme: 'gbt-39725-2020', grade: 'level-5' });
      assert.equal(conditions.gradeCounts['level-5'], 3);
      assert.equal(conditions.volume.count, 16);

      // The ledger: the switch as a policy change, the relabelled resources as writes, no PHI.
      const entries: Json[] = [];
      for (let i = before; i < ts.system.ledger.size; i++)
        entries.push((await ts.system.ledger.get(i)).entry);
      const set = entries.find((e) => e.action === 'classify.scheme.set')!;
      assert.equal(set.kind, 'policy-change');
      assert.match(set.reason, /seed-3-grade -> gbt-39725-2020/);
      const relabelled = entries.filter((e) => e.action === 'classify.relabel').flatMap((e) => e.resources);
      assert.ok(relabelled.includes(`Condition/${ids.hiv}`));
      assert.equal(relabelled.length, 16);
      assert.ok(entries.some((e) => e.action === 'classify.relabel.done'));
      assert.ok(!JSON.stringify(entries).includes('郑'));
    });

    test('relabelling again: nothing left to do; with all, every resource is checked and unchanged', async () => {
      const again = await call('admin', 'POST', '/admin/grading-scheme/relabel', {});
      assert.equal(again.statusCode, 202, again.body);
      let state = await waitForJob();
      assert.equal(state.job.report.scanned, 0);
      const all = await call('admin', 'POST', '/admin/grading-scheme/relabel', { all: true });
      assert.equal(all.statusCode, 202);
      state = await waitForJob();
      assert.equal(state.job.report.scanned, 17);
      assert.equal(state.job.report.unchanged, 17);
      assert.equal(state.job.report.relabelled, 0);
    });

    test('the pass pages through the store in batches and skips erased patients', async () => {
      const { records } = ts.system;
      const hipaa = getScheme('hipaa');
      records.useScheme(hipaa);
      const batches: string[][] = [];
      const report = await relabelResources(records, hipaa, {
        batchSize: 4,
        onBatch: async (r) => void batches.push(r),
      });
      assert.equal(report.scanned, 17);
      assert.equal(report.relabelled, 17);
      assert.equal(batches.length, 5);
      assert.ok(batches.every((b) => b.length <= 4));
      // Back to the tenant's scheme for what follows; erase the patient, then nothing can be relabelled.
      const gbt = getScheme('gbt-39725-2020');
      records.useScheme(gbt);
      await records.erasePatient(ids.patient!);
      const afterErase = await relabelResources(records, gbt);
      assert.equal(afterErase.erased, 17);
      assert.equal(afterErase.relabelled, 0);
    });
  });
}
