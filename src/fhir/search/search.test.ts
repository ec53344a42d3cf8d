import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCustodiaError } from '../../core/index.js';
import { MAX_INSTANT, parseFhirDate } from '../datetime.js';
import { extractIndexValues } from '../registry.js';
import { issuesOf } from '../validation/issues.js';
import type { DATE_PREFIXES } from './date-match.js';
import { datePredicates, matchesRange } from './date-match.js';
import { normalizeName, normalizePhone } from './normalize.js';
import { formatSearchQuery, parsePreferHandling, parseSearch } from './parse.js';

const NOW = Date.UTC(2026, 0, 1);
const error = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(isCustodiaError(e));
    return e;
  }
  assert.fail('expected an error');
};

describe('parseFhirDate', () => {
  it('turns each precision into its half-open range', () => {
    assert.deepEqual(parseFhirDate('2024'), {
      low: Date.UTC(2024, 0, 1),
      high: Date.UTC(2025, 0, 1),
      precision: 'year',
    });
    assert.deepEqual(parseFhirDate('2024-12'), {
      low: Date.UTC(2024, 11, 1),
      high: Date.UTC(2025, 0, 1),
      precision: 'month',
    });
    assert.deepEqual(parseFhirDate('2024-02-29'), {
      low: Date.UTC(2024, 1, 29),
      high: Date.UTC(2024, 2, 1),
      precision: 'day',
    });
    const t = Date.UTC(2024, 2, 5, 2, 0, 0);
    assert.deepEqual(parseFhirDate('2024-03-05T10:00:00+08:00'), {
      low: t,
      high: t + 1000,
      precision: 'second',
    });
    assert.deepEqual(parseFhirDate('2024-03-05T02:00:00.5Z'), {
      low: t + 500,
      high: t + 600,
      precision: 'millisecond',
    });
    assert.equal(parseFhirDate('0050-01-01')?.low, new Date('0050-01-01T00:00:00Z').getTime());
  });

  it('refuses impossible dates and, for resources, times without a zone or seconds', () => {
    for (const bad of [
      '2023-02-29',
      '2024-13',
      '2024-00',
      '2024-04-31',
      '2024-03-05T24:00:00Z',
      '2024-03-05T10:00:00',
      '2024-03-05T10:00Z',
      '0000',
      '2024-03-05T10:00:00+15:00',
    ]) {
      assert.equal(parseFhirDate(bad), undefined, bad);
    }
    assert.equal(
      parseFhirDate('2024-03-05T10:00', { allowMinutes: true, allowMissingZone: true })?.precision,
      'minute',
    );
  });

  it('contains the instant it was written from, at every precision (property)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 4, max: 23 }),
        (date, cut) => {
          const iso = date.toISOString(); // 2024-03-05T10:00:00.000Z
          const lengths = [4, 7, 10, 19, 23];
          const length = lengths.find((l) => l >= cut) ?? 23;
          const text = length > 10 ? `${iso.slice(0, length)}Z` : iso.slice(0, length);
          const range = parseFhirDate(text);
          assert.ok(range, text);
          assert.ok(range.low <= date.getTime() && date.getTime() < range.high, text);
        },
      ),
    );
  });
});

describe('date prefixes', () => {
  const range = fc
    .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 500 }))
    .map(([low, width]) => ({ low, high: low + width }));
  it('keep the R4 relations between prefixes (property)', () => {
    fc.assert(
      fc.property(range, range, (param, target) => {
        const m = (p: (typeof DATE_PREFIXES)[number]) => matchesRange(datePredicates(p, param, 0), target);
        const contains = target.low >= param.low && target.high <= param.high;
        assert.equal(m('eq'), contains);
        assert.equal(m('ne'), !contains);
        assert.equal(m('gt'), target.high > param.high);
        assert.equal(m('lt'), target.low < param.low);
        assert.equal(m('ge'), m('gt') || m('eq'));
        assert.equal(m('le'), m('lt') || m('eq'));
        assert.equal(m('sa'), target.low >= param.high);
        assert.equal(m('eb'), target.high <= param.low);
        if (m('sa')) assert.ok(m('gt'));
        if (m('eb')) assert.ok(m('lt'));
        const overlaps = target.low < param.high && target.high > param.low;
        if (overlaps) assert.ok(m('ap'));
      }),
    );
  });

  it('treat open-ended periods as open', () => {
    const open = { low: Date.UTC(2020, 0, 1), high: MAX_INSTANT };
    const search = parseSearch('Encounter', 'date=gt2030-01-01', { now: NOW });
    const criterion = search.criteria[0];
    assert.ok(criterion?.kind === 'date');
    assert.ok(matchesRange(criterion.values[0]!.predicates, open));
  });
});

describe('parseSearch', () => {
  it('parses every supported parameter kind', () => {
    const s = parseSearch(
      'Patient',
      'identifier=urn:oid:2.16.156.10011.1.1|11010519491231002X&name=张三&gender=female&birthdate=ge1990-01&phone=%2B86%20138%200013%208000&_sort=-_lastUpdated&_count=50&_offset=100',
      { now: NOW },
    );
    assert.deepEqual(
      s.criteria.map((c) => [c.param, c.kind, c.values]),
      [
        ['identifier', 'identifier', [{ system: 'urn:oid:2.16.156.10011.1.1', value: '11010519491231002X' }]],
        ['name', 'name', ['张三']],
        ['gender', 'token', [{ code: 'female' }]],
        [
          'birthdate',
          'date',
          [
            {
              prefix: 'ge',
              low: Date.UTC(1990, 0, 1),
              high: Date.UTC(1990, 1, 1),
              precision: 'month',
              predicates: datePredicates(
                'ge',
                { low: Date.UTC(1990, 0, 1), high: Date.UTC(1990, 1, 1) },
                NOW,
              ),
            },
          ],
        ],
        ['phone', 'phone', ['13800138000']],
      ],
    );
    assert.deepEqual(s.sort, [{ param: '_lastUpdated', descending: true }]);
    assert.equal(s.count, 50);
    assert.equal(s.offset, 100);
  });

  it('reads patient references in every form and refuses other types', () => {
    for (const v of ['p1', 'Patient/p1', 'https://h.example/fhir/Patient/p1']) {
      const c = parseSearch('Observation', { patient: v }).criteria[0];
      assert.ok(c?.kind === 'reference');
      assert.deepEqual(c.values, [{ type: 'Patient', id: 'p1' }]);
    }
    assert.equal(error(() => parseSearch('Observation', 'patient=Group/g1')).path, 'patient');
  });

  it('reads tokens with escapes, commas as OR and repeats as AND', () => {
    const s = parseSearch(
      'Observation',
      'code=http://loinc.org|8302-2,|local,sys\\|x|c\\,d&code=http://snomed.info/sct|',
    );
    assert.deepEqual(
      s.criteria.map((c) => c.values),
      [
        [
          { system: 'http://loinc.org', code: '8302-2' },
          { code: 'local', noSystem: true },
          { system: 'sys|x', code: 'c,d' },
        ],
        [{ system: 'http://snomed.info/sct' }],
      ],
    );
  });

  it('maps date to the element R4 (or Custodia, where R4 has none) defines per type', () => {
    const resource = (type: string, extra: Record<string, unknown>) => ({ resourceType: type, ...extra });
    const dateOf = (r: Record<string, unknown>) =>
      extractIndexValues(r as never)
        .filter((v) => v.param === 'date')
        .map((v) => (v.kind === 'date' ? [v.low, v.high] : []));
    const day = [Date.UTC(2024, 2, 5), Date.UTC(2024, 2, 6)];
    assert.deepEqual(dateOf(resource('Observation', { effectiveDateTime: '2024-03-05' })), [day]);
    assert.deepEqual(
      dateOf(resource('Procedure', { performedPeriod: { start: '2024-03-05', end: '2024-03-05' } })),
      [day],
    );
    assert.deepEqual(dateOf(resource('Encounter', { period: { start: '2024-03-05' } })), [
      [day[0], MAX_INSTANT],
    ]);
    assert.deepEqual(dateOf(resource('MedicationRequest', { authoredOn: '2024-03-05' })), [day]);
    assert.deepEqual(
      dateOf(resource('Condition', { onsetDateTime: '2024-03-05', recordedDate: '2025-01-01' })),
      [day],
    );
    assert.deepEqual(dateOf(resource('Condition', { recordedDate: '2024-03-05' })), [day]);
  });

  it('ignores unknown parameters under lenient handling and reports them', () => {
    const s = parseSearch('Observation', 'colour=red&subject.name=x&code:text=abc&_format=json&name=');
    assert.equal(s.criteria.length, 0);
    assert.deepEqual(
      s.issues.map((i) => [i.expression, i.severity]),
      [
        ['colour', 'warning'],
        ['subject.name', 'warning'],
        ['code:text', 'warning'],
      ],
    );
  });

  it('refuses unknown parameters under strict handling, naming each', () => {
    const e = error(() => parseSearch('Observation', 'colour=red&size=2', { handling: 'strict' }));
    assert.equal(e.status, 400);
    assert.deepEqual(
      issuesOf(e)?.map((i) => i.expression),
      ['colour', 'size'],
    );
    assert.equal(parsePreferHandling('return=minimal; handling=strict'), 'strict');
    assert.equal(parsePreferHandling('handling=lenient'), 'lenient');
    assert.equal(parsePreferHandling(undefined), 'lenient');
  });

  it('refuses malformed values of known parameters whatever the handling', () => {
    for (const [q, path] of [
      ['date=2024-02-30', 'date'],
      ['date=xx2024', 'date'],
      ['_count=-1', '_count'],
      ['_count=ten', '_count'],
      ['_sort=code', '_sort'],
      ['_id=a b', '_id'],
      ['code=|', 'code'],
      ['_format=xml', '_format'],
      ['_offset=5&_cursor=abc', '_offset'],
    ] as const) {
      assert.equal(error(() => parseSearch('Observation', q)).path, path, q);
    }
    assert.equal(error(() => parseSearch('Patient', 'identifier=sys|')).path, 'identifier');
    assert.equal(error(() => parseSearch('Patient', '_sort=date')).path, '_sort');
    assert.match(error(() => parseSearch('Basic', '')).message, /supported types/);
  });

  it('caps _count at the maximum with a note', () => {
    const s = parseSearch('Observation', '_count=5000');
    assert.equal(s.count, 1000);
    assert.equal(s.issues[0]?.severity, 'information');
    assert.equal(parseSearch('Observation', '').count, 20);
  });

  it('never throws anything but a CustodiaError on random input (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Patient', 'Observation', 'Condition', 'Encounter', 'MedicationRequest', 'Procedure'),
        fc.array(
          fc.tuple(
            fc.constantFrom(
              'code',
              'date',
              'patient',
              'name',
              'identifier',
              '_count',
              '_sort',
              'x',
              '_id',
              'birthdate',
              'gender',
            ),
            fc.string(),
          ),
          { maxLength: 5 },
        ),
        (type, pairs) => {
          try {
            parseSearch(type, new URLSearchParams(pairs));
          } catch (e) {
            assert.ok(isCustodiaError(e), String(e));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('formats a search that parses back to the same criteria (property)', () => {
    const token = fc.tuple(
      fc.string({ unit: fc.constantFrom('a', '|', ',', '\\', ':', '/', '张') }),
      fc.string({ unit: fc.constantFrom('b', '|', ',', '\\', '1') }),
    );
    fc.assert(
      fc.property(
        token,
        fc.constantFrom('ge2024', 'lt2024-03-05T10:00:00+08:00', '2020', 'ap2021-06'),
        ([system, code], date) => {
          const escape = (t: string) => t.replace(/[\\|,$]/g, (c) => `\\${c}`);
          const query = new URLSearchParams({ code: `${escape(system)}|${escape(code)}`, date });
          let first;
          try {
            first = parseSearch('Observation', query, { now: NOW });
          } catch (e) {
            assert.ok(isCustodiaError(e));
            return;
          }
          const again = parseSearch('Observation', formatSearchQuery(first), { now: NOW });
          assert.deepEqual(again.criteria, first.criteria);
          const c = first.criteria[0];
          assert.ok(c?.kind === 'token');
          assert.deepEqual(
            c.values[0],
            system === ''
              ? code === ''
                ? undefined
                : { code, noSystem: true }
              : code === ''
                ? { system }
                : { system, code },
          );
        },
      ),
    );
  });
});

describe('index extraction', () => {
  it('returns typed values, with names, identifiers and phones normalized', () => {
    const values = extractIndexValues({
      resourceType: 'Patient',
      id: 'p1',
      meta: {
        lastUpdated: '2026-01-01T00:00:00Z',
        security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
      },
      identifier: [
        { system: 'urn:oid:2.16.156.10011.1.1', value: ' 11010519491231002X ' },
        { value: 'no-system' },
      ],
      name: [
        { family: '欧阳', given: ['娜娜'] },
        { family: 'Medina', given: ['María', 'Eugenia'] },
      ],
      telecom: [
        { system: 'phone', value: '+86 138-0013-8000' },
        { system: 'email', value: 'a@b.cn' },
      ],
      gender: 'female',
      birthDate: '1949-12-31',
    });
    const by = (param: string) =>
      values.filter((v) => v.param === param).map(({ param: _p, ...rest }) => rest);
    assert.deepEqual(by('identifier'), [
      { kind: 'identifier', system: 'urn:oid:2.16.156.10011.1.1', value: '11010519491231002X' },
      { kind: 'identifier', value: 'no-system' },
    ]);
    assert.deepEqual(
      by('name')
        .map((v) => (v.kind === 'name' ? v.value : ''))
        .sort(),
      ['eugenia', 'maria', 'maria eugenia medina', 'medina', '娜娜', '欧阳', '欧阳娜娜'].sort(),
    );
    assert.deepEqual(by('phone'), [{ kind: 'phone', value: '13800138000' }]);
    assert.deepEqual(by('gender'), [
      { kind: 'token', system: 'http://hl7.org/fhir/administrative-gender', code: 'female' },
    ]);
    assert.deepEqual(by('birthdate'), [
      { kind: 'date', low: Date.UTC(1949, 11, 31), high: Date.UTC(1950, 0, 1) },
    ]);
    assert.deepEqual(by('_security'), [
      { kind: 'token', system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' },
    ]);
    assert.deepEqual(by('_id'), [{ kind: 'token', code: 'p1' }]);
  });

  it('normalizes a query value the way it normalizes the indexed value (property)', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        assert.equal(normalizeName(normalizeName(name)), normalizeName(name));
      }),
    );
    assert.equal(normalizeName('  ＭＡＲÍＡ  de la  Cruz '), 'maria de la cruz');
    assert.equal(normalizeName('张 三'), '张三');
    assert.equal(normalizeName('阿依古丽·买买提'), '阿依古丽买买提');
    assert.equal(normalizePhone('0086 13800138000'), '13800138000');
    assert.equal(normalizePhone('(555) 123-4567'), '5551234567');
  });
});
