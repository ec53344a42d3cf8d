/**
 * `custodia catalog ...` and `custodia classify ...` as an operator runs them on a fresh data
 * directory: register, discover a CSV file, override (refused without --reason) and confirm,
 * show, history, lineage, inventory to a file, a malformed CSV and an unknown scheme, and a
 * scheme switch that a later process still sees.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const BIN = join(import.meta.dirname, '..', 'bin', 'custodia.js');

function custodia(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, CUSTODIA_DATABASE_URL: '', CUSTODIA_CONFIG: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('catalog and classify commands on a real data directory', { timeout: 300_000 }, () => {
  const cwd = mkdtempSync(join(tmpdir(), 'custodia-catalog-cli-'));
  try {
    assert.equal(custodia(cwd, ['init']).status, 0);
    writeFileSync(
      join(cwd, 'followup.csv'),
      '姓名,身份证号,手机号,备注\n张伟,11010519491231002X,13812345678,复诊\n李娜,440524188001010014,13987654321,无\n',
    );
    writeFileSync(join(cwd, 'broken.csv'), 'name,phone,city\n张三,13800000000,北京\n李四,13900000000\n');
    const register = (name: string) =>
      custodia(cwd, [
        'catalog',
        'register',
        '--kind',
        'table',
        '--name',
        name,
        '--source',
        'HIS',
        '--purpose',
        '随访',
        '--location',
        'db01/his',
        '--frequency',
        'daily',
        '--owner',
        '王工',
      ]);
    const reg = register('随访表');
    assert.equal(reg.status, 0, reg.stderr);
    assert.match(reg.stdout, /registered \S+ 随访表/);
    assert.equal(register('科研抽取').status, 0);

    const found = custodia(cwd, ['catalog', 'discover', 'followup.csv', '--asset', '随访表']);
    assert.equal(found.status, 0, found.stderr);
    assert.match(found.stdout, /身份证号\s+resident-id\s+direct/);
    assert.match(found.stdout, /手机号\s+mobile/);
    assert.ok(!found.stdout.includes('11010519491231002X'), 'examples are masked');

    const broken = custodia(cwd, ['catalog', 'discover', 'broken.csv', '--asset', '随访表']);
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /malformed CSV at line 3, column city/);

    const noReason = custodia(cwd, ['catalog', 'override', '随访表', '备注', '--grade', 'grade-2']);
    assert.equal(noReason.status, 2);
    assert.match(noReason.stderr, /--reason/);
    const badGrade = custodia(cwd, [
      'catalog',
      'override',
      '随访表',
      '备注',
      '--grade',
      'grade-9',
      '--reason',
      'x y',
    ]);
    assert.equal(badGrade.status, 1);
    assert.match(badGrade.stderr, /grade-9.*valid grades: grade-3, grade-2, grade-1/);
    const override = custodia(cwd, [
      'catalog',
      'override',
      '随访表',
      '备注',
      '--grade',
      'grade-2',
      '--reason',
      '可能含病情',
    ]);
    assert.equal(override.status, 0, override.stderr);
    assert.match(override.stdout, /overridden to none grade-2 by cli:/);
    assert.equal(custodia(cwd, ['catalog', 'confirm', '随访表', '身份证号']).status, 0);

    const lineage = custodia(cwd, [
      'catalog',
      'lineage',
      '科研抽取',
      '--derived-from',
      '随访表',
      '--activity',
      'extract',
    ]);
    assert.equal(lineage.status, 0, lineage.stderr);
    assert.match(lineage.stdout, /derived from[^\n]*\n\s+← 随访表/);

    const show = custodia(cwd, ['catalog', 'show', '随访表']);
    assert.match(show.stdout, /备注\s+none\s+grade-2\s+overridden by cli:/);
    assert.match(show.stdout, /身份证号\s+resident-id\s+grade-2\s+confirmed by cli:/);
    const history = custodia(cwd, ['catalog', 'history', '随访表']);
    assert.deepEqual(
      history.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[2]),
      ['create', 'discovery', 'field-decision', 'field-decision'],
    );

    const inv = custodia(cwd, ['catalog', 'inventory', '--format', 'csv', '--out', 'inventory.csv']);
    assert.equal(inv.status, 0, inv.stderr);
    const csv = readFileSync(join(cwd, 'inventory.csv'), 'utf8');
    assert.ok(csv.startsWith('\ufeff资产编号/id'));
    assert.match(csv, /随访表/);
    assert.equal(csv.trim().split('\n').length, 3);

    const unknown = custodia(cwd, ['classify', 'scheme', 'iso-27799']);
    assert.equal(unknown.status, 1);
    assert.match(
      unknown.stderr,
      /unknown grading scheme "iso-27799"; valid schemes: gbt-39725-2020, hipaa, seed-3-grade/,
    );
    const set = custodia(cwd, ['classify', 'scheme', 'hipaa', '--no-progress']);
    assert.equal(set.status, 0, set.stderr);
    assert.match(set.stdout, /grading scheme hipaa \(was seed-3-grade\)/);
    const shown = custodia(cwd, ['classify', 'scheme']);
    assert.match(shown.stdout, /^hipaa: .*chosen by cli:/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
