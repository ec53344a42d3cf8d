import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCustodiaError, makeResidentId } from '../src/core/index.js';
import { renderReportHtml, runDeid } from '../src/deid/index.js';

let dir: string;
const KEY_HEX = 'ab'.repeat(32);
const env = { CUSTODIA_DEID_KEY: KEY_HEX };

const SURNAMES = ['张', '王', '李', '赵', '欧阳', '刘'];
const GIVEN = ['伟', '芳', '娜娜', '小明', '秀英', '强'];
const DISTRICTS = ['110105', '110108', '310115', '440305', '440304', '330106'];

function patients(n: number) {
  const rows: Record<string, string>[] = [];
  for (let i = 0; i < n; i++) {
    const year = 1940 + ((i * 7) % 60);
    const birth = `${year}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    const division = DISTRICTS[i % DISTRICTS.length]!;
    rows.push({
      patient_id: `P${i}`,
      name: SURNAMES[i % 6]! + GIVEN[(i * 5) % 6]!,
      resident_id: makeResidentId(division, birth, i % 1000),
      phone: `138${String(10_000_000 + i * 7919).slice(0, 8)}`,
      address: '北京市朝阳区建国路' + (i % 100) + '号',
      age: String(2026 - year),
      sex: i % 3 === 0 ? '女' : '男',
      division,
      visit: `2024-0${1 + (i % 9)}-1${i % 10}`,
      diagnosis: ['高血压', '糖尿病', '哮喘', '胃炎', '冠心病'][(i * 3) % 5]!,
      note: `患者${SURNAMES[i % 6]}某复诊`,
    });
  }
  return rows;
}

function writeCsv(path: string, rows: Record<string, string>[]) {
  const cols = Object.keys(rows[0]!);
  writeFileSync(
    path,
    [cols.join(','), ...rows.map((r) => cols.map((c) => r[c]).join(','))].join('\n') + '\n',
  );
}

function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])));
}

const CONFIG = `
version: 1
profile: gbt-37964
keys: { project: "env:CUSTODIA_DEID_KEY" }
patientKey: patient_id
fields:
  patient_id: { op: pseudonymize, length: 16, prefix: "p_" }
  name: { role: direct, format: name }
  resident_id: { role: direct, format: resident-id }
  phone: { op: mask, format: phone }
  address: { op: mask, format: address }
  visit: { op: date-shift, maxDays: 30 }
  note: { op: free-text }
privacy:
  k: 5
  suppressionLimit: 0.02
  quasiIdentifiers:
    age: { hierarchy: age }
    sex: { hierarchy: flat }
    division: { hierarchy: division }
  sensitive:
    diagnosis: [{ model: distinct-l-diversity, l: 2 }]
`;

const detector = (text: string) => {
  const m = /患者(\S+?)某/.exec(text);
  return m ? [{ start: m.index + 2, end: m.index + 2 + m[1]!.length, type: 'name' }] : [];
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'custodia-deid-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const leftovers = () => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('runDeid on tables', () => {
  it('de-identifies a CSV end to end under a GB/T 37964 profile, with verification and report', async () => {
    const input = join(dir, 'patients.csv');
    const output = join(dir, 'out.csv');
    const config = join(dir, 'gbt.yaml');
    const rows = patients(300);
    writeCsv(input, rows);
    writeFileSync(config, CONFIG);
    const phases = new Set<string>();
    const report = await runDeid({
      configPath: config,
      inputPath: input,
      outputPath: output,
      env,
      detector,
      onProgress: (p) => phases.add(p.phase),
    });
    const out = parseCsv(readFileSync(output, 'utf8'));
    assert.equal(out.length, report.rows.written);
    assert.equal(report.rows.read, 300);
    assert.ok(report.rows.suppressed <= 6);
    assert.ok(phases.has('anonymize') && phases.has('write'));
    for (const r of out) {
      assert.match(r.name!, /^(欧阳|[张王李赵刘])\*+$/);
      assert.match(r.resident_id!, /^\d{6}\*{8}[\dX]{4}$/);
      assert.match(r.phone!, /^138\*{4}\d{4}$/);
      assert.equal(r.address, '北京市朝阳区');
      assert.match(r.patient_id!, /^p_[0-9a-f]{16}$/);
      assert.match(r.note!, /^患者\[NAME\]某复诊$/);
    }
    // k-anonymity and l-diversity on the released file itself.
    const classes = new Map<string, Set<string>[]>();
    const sizes = new Map<string, number>();
    for (const r of out) {
      const key = `${r.age}|${r.sex}|${r.division}`;
      sizes.set(key, (sizes.get(key) ?? 0) + 1);
      if (!classes.has(key)) classes.set(key, [new Set()]);
      classes.get(key)![0]!.add(r.diagnosis!);
    }
    for (const [key, n] of sizes) assert.ok(n >= 5, `class ${key} has ${n} rows`);
    for (const [key, [s]] of classes) assert.ok(s!.size >= 2, `class ${key} has ${s!.size} diagnoses`);
    assert.ok(report.privacy!.verification.every((v) => v.holds));
    assert.ok(report.privacy!.after.risk.prosecutor.highest <= 0.2);
    assert.equal(report.process?.map((p) => p.zh).join('→'), '确定目标→识别标识→处理标识→验证审批');
    const html = renderReportHtml(report);
    assert.match(html, /去标识化报告/);
    assert.match(html, /De-identification report/);
    assert.match(html, /效用与风险/);
    assert.ok(!html.includes('13812'), 'no data values in the report');
    assert.deepEqual(leftovers(), []);
  });

  it('keeps intervals per patient when shifting dates', async () => {
    const input = join(dir, 'visits.ndjson');
    const output = join(dir, 'visits.out.ndjson');
    const config = join(dir, 'shift.json');
    const visits = [
      { pid: 'A', day: '2024-01-01', value: 7 },
      { pid: 'A', day: '2024-01-31', value: 8 },
      { pid: 'B', day: '2024-01-01', value: 9 },
    ];
    writeFileSync(input, visits.map((v) => JSON.stringify(v)).join('\n') + '\n');
    writeFileSync(
      config,
      JSON.stringify({
        version: 1,
        keys: { project: 'env:CUSTODIA_DEID_KEY' },
        patientKey: 'pid',
        fields: { day: { op: 'date-shift', maxDays: 100 }, value: { op: 'keep' } },
      }),
    );
    await runDeid({ configPath: config, inputPath: input, outputPath: output, env });
    const out = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pid: string; day: string; value: number });
    assert.equal((Date.parse(out[1]!.day) - Date.parse(out[0]!.day)) / 86_400_000, 30);
    assert.notEqual(out[0]!.day, '2024-01-01');
    assert.equal(out[2]!.value, 9, 'kept values keep their JSON type');
  });
});

describe('runDeid refuses bad profiles before writing anything', () => {
  const input = () => {
    const p = join(dir, 'small.csv');
    writeCsv(p, patients(20));
    return p;
  };
  const attempt = async (yaml: string, extra: { detector?: typeof detector } = {}) => {
    const config = join(dir, 'bad.yaml');
    const output = join(dir, 'never.csv');
    writeFileSync(config, yaml);
    await assert
      .rejects(
        runDeid({ configPath: config, inputPath: input(), outputPath: output, env, ...extra }),
        (e: unknown) => {
          assert.ok(isCustodiaError(e));
          assert.ok(e.zh, 'has a Chinese message');
          throw e;
        },
      )
      .catch((e: unknown) => {
        assert.equal(existsSync(output), false);
        assert.deepEqual(leftovers(), []);
        throw e;
      });
  };
  const expectError = async (yaml: string, pattern: RegExp, extra: { detector?: typeof detector } = {}) => {
    try {
      await attempt(yaml, extra);
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(isCustodiaError(e), String(e));
      assert.match(e.message, pattern);
    }
  };

  it('unknown operator, naming the key', () =>
    expectError(
      'version: 1\nunlisted: keep\nfields:\n  name: { op: scramble }\n',
      /fields\.name\.op.*unknown operator "scramble"/,
    ));
  it('unknown field', () =>
    expectError('version: 1\nunlisted: keep\nfields:\n  nmae: { op: redact }\n', /"nmae".*does not have/));
  it('unknown profile key', () => expectError('version: 1\nfeilds: {}\n', /"feilds" is not a known key/));
  it('bad operator option', () =>
    expectError(
      'version: 1\nunlisted: keep\nfields:\n  phone: { op: mask, format: fax }\n',
      /fields\.phone\.format.*must be one of/,
    ));
  it('free text without a detector', () =>
    expectError('version: 1\nunlisted: keep\nfields:\n  note: { op: free-text }\n', /no PHI detector/));
  it('unlisted fields when the profile says error', () =>
    expectError('version: 1\nfields:\n  name: { op: redact }\n', /not covered by the profile/));
  it('k larger than the number of rows', () =>
    expectError(
      'version: 1\nunlisted: keep\nprivacy:\n  k: 50\n  quasiIdentifiers:\n    age: { hierarchy: age }\n',
      /k = 50 is larger than the number of rows \(20\)/,
    ));
  it('a hierarchy missing a value, naming value and column', () => {
    writeFileSync(join(dir, 'sex.csv'), '男,*\n');
    return expectError(
      'version: 1\nunlisted: keep\nhierarchies:\n  sex: { csv: sex.csv }\nprivacy:\n  k: 2\n  quasiIdentifiers:\n    sex: { hierarchy: sex }\n',
      /column "sex".*value "女"/,
    );
  });

  it('leaves no half-written output when a value fails midway', async () => {
    const p = join(dir, 'ages.csv');
    writeFileSync(
      p,
      'age\n' +
        Array.from({ length: 5000 }, (_, i) => (i === 4000 ? 'unknown' : String(i % 100))).join('\n') +
        '\n',
    );
    const config = join(dir, 'ages.yaml');
    writeFileSync(config, 'version: 1\nfields:\n  age: { op: top-code, max: 89 }\n');
    const output = join(dir, 'ages.out.csv');
    await assert.rejects(runDeid({ configPath: config, inputPath: p, outputPath: output }), isCustodiaError);
    assert.equal(existsSync(output), false);
    assert.deepEqual(leftovers(), []);
  });
});

describe('runDeid on FHIR', () => {
  const bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      {
        resource: {
          resourceType: 'Patient',
          id: 'p1',
          name: [{ family: '欧阳', given: ['娜娜'], text: '欧阳娜娜' }],
          identifier: [
            { system: 'urn:oid:2.16.156.10011.1.1', value: '110101199003071234' },
            { system: 'urn:custodia:mrn', value: 'MRN-1' },
          ],
          telecom: [{ system: 'phone', value: '13812345678' }],
          address: [
            { text: '北京市朝阳区建国路88号', city: '北京市', district: '朝阳区', postalCode: '100022' },
          ],
          birthDate: '1931-03-07',
        },
      },
      {
        resource: {
          resourceType: 'Observation',
          id: 'o1',
          status: 'final',
          code: { text: 'bp' },
          subject: { reference: 'Patient/p1' },
          effectiveDateTime: '2024-05-06T10:00:00+08:00',
        },
      },
    ],
  };

  it('applies rules by path, with where-filters on identifiers', async () => {
    const input = join(dir, 'bundle.json');
    const output = join(dir, 'bundle.out.json');
    const config = join(dir, 'fhir.yaml');
    writeFileSync(input, JSON.stringify(bundle));
    writeFileSync(
      config,
      `version: 1
keys: { project: "env:CUSTODIA_DEID_KEY" }
fhir:
  rules:
    - { path: Patient.name, op: mask, format: name }
    - { path: Patient.identifier, where: { system: "urn:oid:2.16.156.10011.1.1" }, op: mask, format: resident-id }
    - { path: Patient.identifier, where: { system: "urn:custodia:mrn" }, op: pseudonymize, length: 12 }
    - { path: Patient.telecom, op: mask, format: phone }
    - { path: Patient.address, op: mask, format: address }
    - { path: Patient.birthDate, op: date, grain: year }
    - { path: "*.effectiveDateTime", op: date-shift, maxDays: 10 }
`,
    );
    const report = await runDeid({ configPath: config, inputPath: input, outputPath: output, env });
    const out = JSON.parse(readFileSync(output, 'utf8')) as typeof bundle;
    const p = out.entry[0]!.resource as unknown as Record<string, unknown> &
      (typeof bundle.entry)[0]['resource'];
    assert.deepEqual(p.name, [{ family: '欧阳', given: ['**'], text: '欧阳**' }]);
    assert.equal(p.identifier![0]!.value, '110101********1234');
    assert.match(p.identifier![1]!.value, /^[0-9a-f]{12}$/);
    assert.equal(p.telecom![0]!.value, '138****5678');
    assert.deepEqual(p.address, [{ city: '北京市', district: '朝阳区', text: '北京市朝阳区' }]);
    assert.equal(p.birthDate, '1931');
    const obs = out.entry[1]!.resource as { effectiveDateTime?: string };
    assert.notEqual(obs.effectiveDateTime, '2024-05-06T10:00:00+08:00');
    assert.match(obs.effectiveDateTime!, /^2024-0[45]-\d\dT10:00:00\+08:00$/);
    assert.equal(report.fhir!.resources, 2);
  });

  it('applies Safe Harbor defaults and reports the 18 identifiers', async () => {
    const input = join(dir, 'bundle2.json');
    const output = join(dir, 'bundle2.out.json');
    const config = join(dir, 'sh.yaml');
    writeFileSync(
      input,
      JSON.stringify({
        ...bundle,
        entry: bundle.entry.map((e) => ({
          resource: {
            ...e.resource,
            address:
              e.resource.resourceType === 'Patient'
                ? [{ state: 'MA', city: 'Boston', postalCode: '03601' }]
                : undefined,
          },
        })),
      }),
    );
    writeFileSync(config, 'version: 1\nprofile: hipaa-safe-harbor\nreferenceDate: "2026-01-01"\n');
    const report = await runDeid({ configPath: config, inputPath: input, outputPath: output });
    const out = JSON.parse(readFileSync(output, 'utf8')) as {
      entry: { resource: Record<string, unknown> }[];
    };
    const p = out.entry[0]!.resource;
    assert.equal(p.name, undefined);
    assert.equal(p.identifier, undefined);
    assert.equal(p.telecom, undefined);
    assert.deepEqual(p.address, [{ state: 'MA', postalCode: '000' }]);
    assert.equal(p.birthDate, '<=1936');
    assert.equal(out.entry[1]!.resource.effectiveDateTime, '2024');
    assert.equal(new Set(report.safeHarbor!.map((s) => s.n)).size, 18);
  });

  it('rejects a path that is not in FHIR R4', async () => {
    const config = join(dir, 'badpath.yaml');
    const output = join(dir, 'badpath.out.json');
    writeFileSync(config, 'version: 1\nfhir:\n  rules:\n    - { path: Patient.nmae, op: redact }\n');
    writeFileSync(join(dir, 'b.json'), JSON.stringify(bundle));
    await assert.rejects(
      runDeid({ configPath: config, inputPath: join(dir, 'b.json'), outputPath: output }),
      (e: unknown) => isCustodiaError(e) && /Patient\.nmae/.test(e.message),
    );
    assert.equal(existsSync(output), false);
  });
});
