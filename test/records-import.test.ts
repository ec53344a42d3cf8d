import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { OrgId } from '../src/core/index.js';
import type { Access } from '../src/guard/index.js';
import { servicePrincipal } from '../src/identity/index.js';
import { testDialects } from '../src/store/testing.js';
import { startTestSystem, type TestSystem } from './helpers/system.js';

/** The CLI's operator: what `custodia import --org` acts as. */
const operator = (ts: TestSystem, orgId: string): Access => ({
  principal: servicePrincipal(ts.system.tenantId, orgId as OrgId, 'cli', ['admin', 'data-steward']),
});

const observation = (i: number, subject: string) => ({
  resourceType: 'Observation',
  id: `obs-${i}`,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: subject },
  effectiveDateTime: '2025-01-02T10:00:00Z',
  valueQuantity: { value: 60 + (i % 40), unit: '/min' },
});

for (const { dialect, skip } of testDialects()) {
  describe(`NDJSON import (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    let access: Access;
    before(async () => {
      ts = await startTestSystem(dialect);
      const org = await ts.system.directory.createOrganization(ts.system.tenantId, {
        name: 'Import Hospital',
        type: 'hospital',
      });
      access = operator(ts, org.id);
    });
    after(() => ts?.dispose());

    const run = (lines: unknown[]) =>
      ts.system.guard.import(
        access,
        'ndjson',
        Readable.from(lines.map((l) => JSON.stringify(l) + '\n')),
        'test.ndjson',
        { baseUrl: 'http://localhost/fhir' },
      );

    test('references to resources further down the file, past a chunk, resolve; repeats count once', async () => {
      const org = { resourceType: 'Organization', id: 'org-1', name: '第一医院' };
      const lines = [
        org,
        org, // a file that repeats its directory
        ...Array.from({ length: 1200 }, (_, i) => observation(i, 'Patient/p-1')),
        { resourceType: 'Patient', id: 'p-1', name: [{ family: '王', given: ['芳'] }] },
        observation(9999, 'Patient/nowhere'),
      ];
      const result = await run(lines);
      assert.equal(result.created, 1 + 1200 + 1);
      assert.equal(result.matched, 1);
      assert.equal(result.failed, 1);
      assert.match(result.problems[0]!.message, /Patient\/nowhere/);
      assert.equal(result.problems[0]!.where, `test.ndjson:${lines.length}`);

      const records = ts.system.records;
      const patientId = await records.sourceIdOf(access.principal.orgId, 'Patient', 'p-1');
      assert.ok(patientId);
      const obsId = await records.sourceIdOf(access.principal.orgId, 'Observation', 'obs-3');
      // Read back as a clinician of the hospital would, treating the patient.
      const clinician: Access = {
        principal: {
          ...access.principal,
          kind: 'person',
          roles: ['clinician'],
          qualifications: [{ type: 'practising-licence', value: 'lic-import-test' }],
        },
        purpose: 'TREAT',
      };
      const stored = await ts.system.guard.read(clinician, 'Observation', obsId!);
      const body = JSON.parse(stored.json.toString('utf8')) as { subject: { reference: string } };
      assert.equal(body.subject.reference, `Patient/${patientId}`);
      // The Observations were written before their Patient, under the Patient's data key.
      assert.equal(stored.version.patientKey, patientId);
    });

    test('a second import of the same file creates nothing', async () => {
      const org = { resourceType: 'Organization', id: 'org-2', name: '第二医院' };
      const lines = [org, { resourceType: 'Patient', id: 'p-2' }, observation(5001, 'Patient/p-2')];
      assert.equal((await run(lines)).created, 3);
      const again = await run(lines);
      assert.equal(again.created, 0);
      assert.equal(again.matched, 3);
    });
  });
}
