/**
 * A search page holds matches the principal may see: guard reads on past the matches the policy
 * withholds to fill it, and the next link goes on from where it stopped reading. A clinician who
 * cares for two of a hospital's twelve patients pages through those two, not through twelve
 * mostly refused matches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../src/store/testing.js';
import { loginAs, startTestSystem, type TestSystem } from './helpers/system.js';

const FHIR = 'application/fhir+json';
const LICENCE_SYSTEM = 'urn:oid:2.16.156.10011.1.4';
const HOUR = 3_600_000;

interface Searchset {
  total?: number;
  entry?: { resource: { id: string } }[];
  link?: { relation: string; url: string }[];
}

for (const { dialect, skip } of testDialects()) {
  describe(`search pages are filled with what the principal may see (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    let writer: string;
    let treating: string;
    let colleague: string;
    const cared: string[] = [];

    const call = (token: string, method: string, url: string, payload?: unknown) =>
      ts.app.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${token}`,
          'x-purpose-of-use': 'TREAT',
          ...(payload === undefined ? {} : { 'content-type': FHIR }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const create = async (resource: Record<string, unknown>) => {
      const res = await call(writer, 'POST', `/fhir/${String(resource.resourceType)}`, resource);
      assert.equal(res.statusCode, 201, res.body);
      return (res.json() as { id: string }).id;
    };
    const search = async (token: string, url: string) => {
      const res = await call(token, 'GET', url);
      assert.equal(res.statusCode, 200, res.body);
      const bundle = res.json() as Searchset;
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      return {
        ids: (bundle.entry ?? []).map((e) => e.resource.id),
        total: bundle.total,
        next: next === undefined ? undefined : next.slice(next.indexOf('/fhir/')),
      };
    };

    before(async () => {
      ts = await startTestSystem(dialect, { CUSTODIA_CARE_RELATIONSHIP: 'records' });
      writer = await loginAs(ts, 'his-feed', ['data-steward'], 'Paging Hospital');
      treating = await loginAs(ts, 'dr-gao', ['clinician'], 'Paging Hospital', {
        licence: '110105000000011',
      });
      colleague = await loginAs(ts, 'dr-he', ['clinician'], 'Paging Hospital', {
        licence: '110105000000012',
      });
      const practitioner = await create({
        resourceType: 'Practitioner',
        identifier: [{ system: LICENCE_SYSTEM, value: '110105000000011' }],
        name: [{ family: '高', given: ['医生'] }],
      });
      // The system's clock, which tests keep within working hours (helpers/system.ts).
      const now = ts.system.clock.now();
      for (let i = 0; i < 12; i++) {
        const patient = await create({
          resourceType: 'Patient',
          name: [{ family: '测', given: [`试${i}`] }],
        });
        if (i !== 3 && i !== 9) continue;
        cared.push(patient);
        await create({
          resourceType: 'Encounter',
          status: 'in-progress',
          class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
          subject: { reference: `Patient/${patient}` },
          participant: [{ individual: { reference: `Practitioner/${practitioner}` } }],
          period: { start: new Date(now - HOUR).toISOString() },
        });
      }
    });
    after(() => ts?.dispose());

    test('a page of one holds one of the patients cared for; the next link leads to the other', async () => {
      const first = await search(treating, '/fhir/Patient?_count=1');
      assert.equal(first.ids.length, 1, 'the page is filled past the patients withheld');
      assert.ok(cared.includes(first.ids[0]!));
      assert.equal(first.total, undefined, 'no total that would count the withheld');
      assert.ok(first.next, 'another page follows');
      const seen = [...first.ids];
      let next: string | undefined = first.next;
      for (let pages = 0; next !== undefined; pages++) {
        assert.ok(pages < 5, 'the paging ends');
        const page = await search(treating, next);
        assert.ok(page.ids.length <= 1);
        seen.push(...page.ids);
        next = page.next;
      }
      assert.deepEqual(seen.sort(), [...cared].sort(), 'each patient cared for once, nobody else');
    });

    test('a page larger than what may be seen holds all of it and has no next link', async () => {
      const page = await search(treating, '/fhir/Patient?_count=5');
      assert.deepEqual(page.ids.sort(), [...cared].sort());
      assert.equal(page.next, undefined);
      const none = await search(colleague, '/fhir/Patient?_count=5');
      assert.deepEqual(none.ids, [], 'a colleague without a care relationship sees nobody');
      assert.equal(none.next, undefined, 'and is not sent to read on');
    });

    test('the withheld matches read are recorded as refused', async () => {
      await search(colleague, '/fhir/Patient?_count=3');
      const { entries } = await ts.system.ledger.query({
        action: 'Patient.search',
        kind: 'access-decision',
        limit: 100,
      });
      const refusedTargets = entries
        .filter((e) => e.entry.actor !== undefined && e.entry.reason === 'no-care-relationship')
        .flatMap((e) => e.entry.targets);
      assert.ok(refusedTargets.length >= 10, `${refusedTargets.length} refusals recorded`);
    });
  });
}
