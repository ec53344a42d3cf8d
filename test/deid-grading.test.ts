import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IDENTIFIER_TYPES, listSchemes } from '../src/classify/index.js';
import { isCustodiaError, makeResidentId } from '../src/core/index.js';
import { ACCESS_SCOPES, gradingOperator, renderReportHtml, runDeid } from '../src/deid/index.js';

let dir: string;
const env = { K: 'cd'.repeat(32) };
const SURNAMES = ['张', '王', '李', '赵', '欧阳', '刘'];
const GIVEN = ['伟', '芳', '娜娜', '小明', '秀英', '强'];

interface Patient {
  name: string;
  rid: string;
  phone: string;
  address: string;
  birth: string;
  mrn: string;
}
const people: Patient[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'custodia-deid-grading-'));
  const lines = ['姓名,身份证号,手机号,住址,出生日期,病案号,诊断,体重'];
  for (let i = 0; i < 300; i++) {
    const birth = `${1940 + (i % 60)}-0${1 + (i % 9)}-1${i % 10}`;
    const p: Patient = {
      name: SURNAMES[i % 6]! + GIVEN[(i * 5) % 6]!,
      rid: makeResidentId('110105', birth, i),
      phone: `138${String(10_000_000 + i * 7919).slice(0, 8)}`,
      address: `北京市朝阳区建国路${i}号`,
      birth,
      mrn: `MR${100_000 + i}`,
    };
    people.push(p);
    // One diagnosis in four is HIV (B20): the classifier grades the column as core privacy data.
    const dx = ['I10', 'E11.9', 'B20', 'J45.9'][i % 4]!;
    lines.push([p.name, p.rid, p.phone, p.address, p.birth, p.mrn, dx, String(50 + (i % 40))].join(','));
  }
  writeFileSync(join(dir, 'in.csv'), lines.join('\n') + '\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function profile(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `version: 1\nprofile: grading\nkeys: { project: "env:K" }\n${body}`);
  return path;
}

const rowsOf = (path: string) => {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])));
};

describe('profiles derived from a grading scheme', () => {
  it('releases to a large range: identifiers removed or pseudonymized, core-privacy content withheld', async () => {
    const out = join(dir, 'large.csv');
    const report = await runDeid({
      configPath: profile('large.yaml', 'grading: { scheme: seed-3-grade, release: large }\n'),
      inputPath: join(dir, 'in.csv'),
      outputPath: out,
      env,
    });
    const text = readFileSync(out, 'utf8');
    for (const p of people.slice(0, 50)) {
      for (const v of [p.name, p.rid, p.phone, p.address, p.birth, p.mrn]) assert.ok(!text.includes(v), v);
    }
    const rows = rowsOf(out);
    assert.equal(rows.length, 300);
    assert.equal(rows[0]!['姓名'], '');
    assert.match(rows[0]!['身份证号']!, /^[0-9a-f]{32}$/);
    assert.equal(rows[0]!['出生日期'], '1940');
    assert.equal(rows[0]!['诊断'], '');
    assert.equal(rows[3]!['体重'], '53');
    const byName = new Map(report.grading!.fields.map((f) => [f.name, f]));
    assert.equal(report.grading!.scheme, 'seed-3-grade');
    assert.equal(byName.get('诊断')!.grade, 'grade-1');
    assert.equal(byName.get('体重')!.operator, 'keep');
    assert.equal(byName.get('病案号')!.identifierType, 'mrn');
    assert.ok([...byName.values()].every((f) => f.gradeSource === 'discovery'));
    assert.match(renderReportHtml(report), /分级派生的处理[\s\S]*grade-1/);
  });

  it('releases to a medium range with format-aware masks that keep more', async () => {
    const out = join(dir, 'medium.csv');
    await runDeid({
      configPath: profile('medium.yaml', 'grading: { scheme: seed-3-grade, release: medium }\n'),
      inputPath: join(dir, 'in.csv'),
      outputPath: out,
      env,
    });
    const rows = rowsOf(out);
    assert.equal(rows[1]!['姓名'], '王*'); // 王强
    assert.equal(rows[1]!['手机号'], `${people[1]!.phone.slice(0, 3)}****${people[1]!.phone.slice(-4)}`);
    assert.equal(rows[1]!['住址'], '北京市朝阳区');
    assert.equal(rows[1]!['出生日期'], people[1]!.birth.slice(0, 7));
  });

  it('lets the profile set grades and per-grade handling, and listed fields win', async () => {
    const out = join(dir, 'override.csv');
    const report = await runDeid({
      configPath: profile(
        'override.yaml',
        [
          'grading:',
          '  scheme: seed-3-grade',
          '  grades: { 体重: grade-1 }',
          '  handling: { grade-1: { op: redact, replacement: "[withheld]" } }',
          'fields:',
          '  姓名: { op: mask, format: name }',
          '',
        ].join('\n'),
      ),
      inputPath: join(dir, 'in.csv'),
      outputPath: out,
      env,
    });
    const rows = rowsOf(out);
    assert.equal(rows[0]!['姓名'], '张*');
    assert.equal(rows[0]!['体重'], '[withheld]');
    assert.equal(rows[0]!['诊断'], '[withheld]');
    const weight = report.grading!.fields.find((f) => f.name === '体重')!;
    assert.deepEqual([weight.grade, weight.gradeSource], ['grade-1', 'profile']);
    assert.match(weight.operator, /^redact/);
    assert.ok(!report.grading!.fields.some((f) => f.name === '姓名'));
  });

  it('fails before writing on an unknown scheme or grade, naming it', async () => {
    for (const [name, body, where] of [
      ['s.yaml', 'grading: { scheme: no-such-scheme }\n', /grading\.scheme.*no-such-scheme/],
      ['g.yaml', 'grading: { scheme: hipaa, grades: { 体重: level-9 } }\n', /grading\.grades\.体重.*level-9/],
      ['h.yaml', 'grading: { release: large }\n', /grading\.(scheme|handling)/],
    ] as const) {
      const out = join(dir, `never-${name}.csv`);
      await assert.rejects(
        runDeid({ configPath: profile(name, body), inputPath: join(dir, 'in.csv'), outputPath: out, env }),
        (e: unknown) => isCustodiaError(e) && where.test(e.message) && e.zh !== undefined,
      );
      assert.ok(!existsSync(out));
    }
  });

  it('keeps a column exactly when its grade may be seen as widely as the release, for every scheme', () => {
    for (const scheme of listSchemes()) {
      for (const grade of scheme.grades) {
        for (const release of ACCESS_SCOPES) {
          for (const type of [...IDENTIFIER_TYPES, 'none' as const]) {
            const { operator } = gradingOperator(
              { scheme, release, handling: {}, grades: {} },
              grade.id,
              type,
              'x',
            );
            const wideEnough =
              ACCESS_SCOPES.indexOf(grade.handling.maxAccessScope) >= ACCESS_SCOPES.indexOf(release);
            assert.equal(operator.op === 'keep', wideEnough, `${scheme.id} ${grade.id} ${release} ${type}`);
          }
        }
      }
    }
  });
});
