import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeResidentId } from '../src/core/index.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'custodia.js');
const KEY = 'ab'.repeat(32);

const PROFILE = `
version: 1
profile: gbt-37964
keys: { project: "env:DEID_TEST_KEY" }
fields:
  name: { role: direct, format: name }
  resident_id: { role: direct, format: resident-id }
  phone: { op: mask, format: phone }
  note: { op: free-text }
privacy:
  k: 3
  suppressionLimit: 0.05
  quasiIdentifiers:
    age: { hierarchy: age }
    sex: { hierarchy: flat }
`;

function csv(n: number): string {
  const lines = ['name,resident_id,phone,age,sex,note'];
  for (let i = 0; i < n; i++) {
    const name = ['张伟', '王芳', '欧阳娜娜', '李强'][i % 4]!;
    lines.push(
      `${name},${makeResidentId('110105', `19${50 + (i % 40)}-0${1 + (i % 9)}-1${i % 9}`, i)},1381234${String(1000 + i)},${30 + (i % 40)},${i % 2 ? '男' : '女'},患者${name}于2024年3月5日复诊，电话1381234${String(1000 + i)}`,
    );
  }
  return lines.join('\n') + '\n';
}

test('custodia deid writes the de-identified file and its JSON and HTML reports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodia-deid-cli-'));
  writeFileSync(join(dir, 'profile.yaml'), PROFILE);
  writeFileSync(join(dir, 'in.csv'), csv(120));
  const r = spawnSync(process.execPath, [BIN, 'deid', '--config', 'profile.yaml', 'in.csv', 'out.csv'], {
    cwd: dir,
    env: { ...process.env, DEID_TEST_KEY: KEY },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /de-identified 120 rows/);
  const out = readFileSync(join(dir, 'out.csv'), 'utf8');
  assert.ok(!out.includes('张伟') && !out.includes('欧阳娜娜'), 'names are masked');
  assert.ok(!/1381234\d{4}/.test(out), 'phones are masked, in notes too');
  const report = JSON.parse(readFileSync(join(dir, 'out.csv.report.json'), 'utf8'));
  assert.equal(report.rows.read, 120);
  assert.match(readFileSync(join(dir, 'out.csv.report.html'), 'utf8'), /<html/i);
});

test('custodia deid refuses a profile with an unknown operator before writing anything', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodia-deid-cli-'));
  writeFileSync(join(dir, 'profile.yaml'), PROFILE.replace('op: mask, format: phone', 'op: scramble'));
  writeFileSync(join(dir, 'in.csv'), csv(20));
  const r = spawnSync(process.execPath, [BIN, 'deid', '--config', 'profile.yaml', 'in.csv', 'out.csv'], {
    cwd: dir,
    env: { ...process.env, DEID_TEST_KEY: KEY },
    encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /scramble/);
  assert.equal(existsSync(join(dir, 'out.csv')), false);
});
