// Searches of the clinical store as compiled once per shape (records/search-queries.ts) give what
// the same search built afresh gives, on a varied dataset, and see writes made since.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { OrgId } from '../src/core/index.js';
import { parseSearch, type ParsedSearch } from '../src/fhir/index.js';
import { servicePrincipal } from '../src/identity/index.js';
import type { Records, SearchScope } from '../src/records/index.js';
import { matchingResources } from '../src/records/search.js';
import { testDialects } from '../src/store/testing.js';
import { generateRegion } from '../src/synth/index.js';
import { startTestSystem, type TestSystem } from './helpers/system.js';

type Json = Record<string, unknown>;

for (const { dialect, skip } of testDialects()) {
  describe(`search by compiled shape (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    let records: Records;
    const orgIds: string[] = [];
    const queries: string[][] = [];

    const parse = (type: string, query: string): ParsedSearch =>
      parseSearch(type, query, { registry: records.registry, handling: 'strict' });

    /** The same search built afresh with its values inline: every match in order, then paged. */
    async function reference(search: ParsedSearch, scope: SearchScope) {
      let query = matchingResources(records.db, records.tenant, search, records.indexer, scope).select('id');
      for (const s of search.sort)
        query = query.orderBy(
          s.param === 'date' ? 'sort_date' : 'last_updated',
          s.descending ? 'desc' : 'asc',
        );
      const all = (await query.orderBy('id').execute()).map((r) => r.id);
      return { ids: all.slice(search.offset, search.offset + search.count), count: all.length };
    }

    async function assertSame(type: string, query: string, scope: SearchScope) {
      const search = parse(type, query);
      const found = await records.search(search, scope);
      const expected = await reference(search, scope);
      const what = `${type}?${query} in ${JSON.stringify(scope)}`;
      assert.deepEqual(
        found.rows.map((r) => r.id),
        expected.ids,
        what,
      );
      assert.equal(found.hasMore, search.offset + search.count < expected.count, what);
      if (found.total !== undefined) assert.equal(found.total, expected.count, what);
      for (const row of found.rows) assert.deepEqual(row, await records.current(type, row.id), what);
      return found;
    }

    before(async () => {
      ts = await startTestSystem(dialect);
      records = ts.system.records;
      const region = generateRegion({
        seed: 'search-shapes',
        patients: 16,
        sharedFraction: 0.3,
        hospitals: [
          { id: 'a', name: 'Hospital A', nameZh: '甲医院', divisionCode: '110105' },
          { id: 'b', name: 'Hospital B', nameZh: '乙医院', divisionCode: '310104' },
        ],
      });
      for (const h of region.hospitals) {
        const org = await ts.system.directory.createOrganization(ts.system.tenantId, {
          name: `Hospital ${h.id}`,
          type: 'hospital',
        });
        orgIds.push(org.id);
        const access = { principal: servicePrincipal(ts.system.tenantId, org.id as OrgId, 't', ['admin']) };
        for (const bundle of [h.directoryBundle, ...h.bundles])
          await ts.system.guard.bundle(access, bundle, { baseUrl: 'http://localhost/fhir' });
      }
      // Values to search for, taken from what was stored (names and identifiers from opened bodies).
      const patients = (await records.search(parse('Patient', '_count=8'), {})).rows;
      const observations = (await records.search(parse('Observation', '_count=30'), {})).rows;
      const codes = new Set<string>();
      for (const o of observations) {
        const json = JSON.parse((await records.open(o)).toString('utf8')) as Json;
        const coding = (json.code as { coding: { system: string; code: string }[] }).coding[0]!;
        codes.add(`${coding.system}|${coding.code}`);
      }
      const [c1, c2] = [...codes];
      for (const p of patients.slice(0, 4)) {
        const json = JSON.parse((await records.open(p)).toString('utf8')) as Json;
        const identifier = (json.identifier as { system: string; value: string }[])[0]!;
        const family = (json.name as { family: string }[])[0]!.family;
        queries.push(
          ['Observation', `patient=${p.id}&_count=5`],
          ['Observation', `patient=${p.id}&_count=3&_offset=2`],
          ['Observation', `patient=Patient/${p.id}&code=${c1}&_total=accurate`],
          ['Observation', `patient=${p.id}&_sort=-date&_count=4`],
          ['Observation', `patient=${p.id}&date=ge2015-01-01&date=lt2030-01-01`],
          ['Observation', `patient=${p.id}&code=${c1},${c2}&_count=50`],
          ['Observation', `patient=${p.id},${patients[5]!.id}&_sort=_lastUpdated&_count=7`],
          ['Patient', `identifier=${identifier.system}|${identifier.value}`],
          ['Patient', `identifier=${identifier.value}`],
          ['Patient', `name=${encodeURIComponent(family)}&gender=male,female`],
          ['Patient', `_id=${p.id},${patients[6]!.id}`],
        );
      }
      queries.push(
        ['Observation', `code=${c1}&_count=10&_total=accurate`],
        ['Observation', `code=${c1}&_count=10&_offset=10&_total=accurate`],
        ['Observation', `_lastUpdated=gt2000-01-01&_count=5&_total=accurate`],
        ['Observation', 'date=lt1900-01-01'],
        ['Patient', 'identifier=urn:x|nobody'],
        ['Patient', '_count=1000'],
      );
    });
    after(() => ts?.dispose());

    test('every search gives what the same search built afresh gives, cold and compiled', async () => {
      const scopes: SearchScope[] = [{}, { orgIds: [orgIds[0]!] }, { orgIds }, { orgIds: [] }];
      let nonEmpty = 0;
      // Twice over, the second time in reverse: shapes compiled by one search run with another's values.
      for (const order of [queries, [...queries].reverse()])
        for (const [type, query] of order)
          for (const scope of scopes)
            if ((await assertSame(type!, query!, scope)).rows.length > 0) nonEmpty++;
      // Most searches find something (the comparison would prove little over empty pages).
      assert.ok(nonEmpty > queries.length, `${nonEmpty} non-empty pages`);
    });

    test('a compiled shape sees updates and deletions made since', async () => {
      const access = { principal: servicePrincipal(ts.system.tenantId, orgIds[0] as OrgId, 't', ['admin']) };
      const scope = { orgIds: [orgIds[0]!] };
      const patient = (await records.search(parse('Patient', '_count=1'), scope)).rows[0]!;
      const query = `patient=${patient.id}&_count=100`;
      const before = await assertSame('Observation', query, scope);
      assert.ok(before.rows.length >= 2, 'the patient has observations');
      const [changed, removed] = before.rows;
      const body = JSON.parse((await records.open(changed!)).toString('utf8')) as Json;
      await ts.system.guard.update(access, 'Observation', changed!.id, { ...body, status: 'amended' });
      await ts.system.guard.delete(access, 'Observation', removed!.id);
      const afterwards = await assertSame('Observation', query, scope);
      assert.equal(afterwards.rows.length, before.rows.length - 1);
      assert.ok(!afterwards.rows.some((r) => r.id === removed!.id));
      assert.equal(afterwards.rows.find((r) => r.id === changed!.id)?.version, changed!.version + 1);
    });
  });
}
