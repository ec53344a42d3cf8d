import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { isCustodiaError, makeResidentId } from '../src/core/index.js';
import { discoverCsv, maskValue, type DiscoveryReport } from '../src/classify/index.js';

const SURNAMES = ['王', '李', '张', '刘', '陈', '欧阳'];
const GIVEN = ['伟', '秀英', '娜', '敏', '静', '建国', '丽'];

function* rows(n: number): Generator<string> {
  yield 'patient_name,证件号码,联系方式,现住址,dob,ZIP,email,col_x,体重kg,科室\n';
  for (let i = 0; i < n; i++) {
    const birth = `19${50 + (i % 49)}-0${1 + (i % 9)}-1${i % 9}`;
    yield (
      [
        SURNAMES[i % SURNAMES.length]! + GIVEN[i % GIVEN.length]!,
        makeResidentId(['110108', '440305', '320102'][i % 3]!, birth, i % 999),
        `13${i % 10}${String(10_000_000 + i).slice(-8)}`,
        `北京市海淀区中关村大街${i % 100}号`,
        birth,
        String(10_000 + (i % 89_999)).padStart(5, '0'),
        `user${i}@example.com`,
        `192.168.${i % 255}.${(i * 7) % 255}`,
        String(50 + (i % 40)),
        ['内科', '外科', '儿科'][i % 3],
      ].join(',') + '\n'
    );
  }
}

const byHeader = (r: DiscoveryReport, h: string) => r.columns.find((c) => c.header === h)!;

test('discovery proposes identifier types from values and headers, with grades per scheme', async () => {
  const report = await discoverCsv(Readable.from(rows(3000)), { scheme: 'hipaa' });
  assert.equal(report.rows, 3000);
  const expected: Record<string, string> = {
    patient_name: 'name',
    证件号码: 'resident-id',
    联系方式: 'mobile',
    现住址: 'address',
    dob: 'date-of-birth',
    ZIP: 'zip',
    email: 'email',
    col_x: 'ip',
    体重kg: 'none',
    科室: 'none',
  };
  for (const [h, type] of Object.entries(expected)) assert.equal(byHeader(report, h).proposedType, type, h);
  assert.equal(byHeader(report, '证件号码').confidence, 1);
  assert.equal(byHeader(report, '证件号码').grade.grade, 'phi');
  assert.equal(byHeader(report, 'dob').grade.grade, 'limited-data-set');
  assert.equal(byHeader(report, '体重kg').grade.grade, 'de-identified');
  // Examples are masked: the middle of an ID never leaves the report.
  for (const ex of byHeader(report, '证件号码').examples) assert.match(ex, /^\d\*{16}[\dX]$/);
});

test('a diagnosis column with HIV codes (国家临床版) is graded core privacy', async () => {
  const csv = '诊断编码\n' + ['I10.x00', 'E11.900', 'B20.x00', 'J45.900'].join('\n') + '\n';
  const col = (await discoverCsv(csv)).columns[0]!;
  assert.equal(col.proposedType, 'diagnosis-code');
  assert.deepEqual(col.sensitivity, ['HIV']);
  assert.equal(col.grade.grade, 'grade-1');
});

test('a header alone is evidence, values alone are evidence, and neither is a guess', async () => {
  const report = await discoverCsv('病案号,random\n1001,abc\n1002,def\n');
  assert.equal(byHeader(report, '病案号').proposedType, 'mrn');
  assert.equal(byHeader(report, 'random').proposedType, 'none');
  const invalidIds = await discoverCsv('x\n110108197904123420\n110108197904123421\n');
  assert.notEqual(
    invalidIds.columns[0]!.proposedType,
    'resident-id',
    'wrong check digits are not resident IDs',
  );
});

test('malformed CSV fails naming the line and the column, without the values', async () => {
  await assert.rejects(discoverCsv('姓名,手机号\n张伟,13800000000\n李娜,13900000000,多余\n'), (e) => {
    assert.ok(isCustodiaError(e) && e.code === 'bad-request');
    assert.match(e.message, /line 3/);
    assert.match(e.message, /expected 2 fields, found 3/);
    assert.doesNotMatch(e.message, /李娜|多余/);
    assert.match(e.zh ?? '', /第 3 行/);
    return true;
  });
  await assert.rejects(discoverCsv('姓名,手机号\n张伟,"138\n'), (e) => {
    assert.ok(isCustodiaError(e));
    assert.match(e.message, /line 2, column 手机号: a quoted field is never closed/);
    return true;
  });
  await assert.rejects(discoverCsv(''), (e) => isCustodiaError(e) && /empty/.test(e.message));
});

test('every valid resident ID is recognised as one', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          division: fc.constantFrom('110108', '440305', '510104', '650102'),
          date: fc.date({ min: new Date('1900-01-01'), max: new Date('2025-12-31'), noInvalidDate: true }),
          seq: fc.integer({ min: 0, max: 999 }),
        }),
        { minLength: 1, maxLength: 30 },
      ),
      async (ids) => {
        const values = ids.map((x) => makeResidentId(x.division, x.date.toISOString().slice(0, 10), x.seq));
        const col = (await discoverCsv('c\n' + values.join('\n') + '\n')).columns[0]!;
        assert.equal(col.proposedType, 'resident-id');
      },
    ),
    { numRuns: 40 },
  );
});

test('masking keeps the length and hides everything between the first and last character', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 0, maxLength: 40, unit: 'grapheme' }), (v) => {
      const m = maskValue(v);
      const chars = [...v];
      if (chars.length <= 1) return assert.equal(m, '*');
      assert.equal([...m].length, chars.length);
      assert.equal([...m][0], chars[0]);
      assert.ok([...m].slice(1, -1).every((c) => c === '*'));
    }),
  );
});
