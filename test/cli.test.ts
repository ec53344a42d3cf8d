import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const BIN = join(import.meta.dirname, '..', 'bin', 'custodia.js');

function custodia(args: string[], env: Record<string, string> = {}, input?: string) {
  const cwd = mkdtempSync(join(tmpdir(), 'custodia-cli-'));
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: env.CWD ?? cwd,
    env: { ...process.env, CUSTODIA_DATABASE_URL: '', CUSTODIA_CONFIG: '', ...env },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, cwd };
}

test('version and help', () => {
  const v = custodia(['version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  const h = custodia(['--help']);
  assert.equal(h.status, 0);
  for (const c of ['init', 'serve', 'migrate', 'org', 'user', 'version'])
    assert.match(h.stdout, new RegExp(`\\b${c}\\b`));
});

test('a usage error exits 2', () => {
  const r = custodia(['org', 'add', '--name', 'X']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--type/);
});

test('a malformed configuration exits 3 naming the key', () => {
  const r = custodia(['migrate'], { CUSTODIA_PORT: 'eighty' });
  assert.equal(r.status, 3);
  assert.match(r.stderr, /CUSTODIA_PORT/);
  assert.match(r.stderr, /0 to 65535/);
  const cwd = mkdtempSync(join(tmpdir(), 'custodia-cli-'));
  writeFileSync(join(cwd, 'custodia.config.json'), JSON.stringify({ role: 'satellite' }));
  const f = custodia(['migrate'], { CWD: cwd });
  assert.equal(f.status, 3);
  assert.match(f.stderr, /role/);
});

test('an unreachable database exits 4 with a clear message', () => {
  const r = custodia(['migrate'], { CUSTODIA_DATABASE_URL: 'postgres://nobody:secret-pw@127.0.0.1:1/none' });
  assert.equal(r.status, 4);
  assert.match(r.stderr, /does not answer/);
  assert.ok(!r.stderr.includes('secret-pw'), 'the password must not be printed');
});

test('init, org add, user add and list work on a fresh data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodia-cli-'));
  const env = { CWD: dir };
  const init = custodia(['init'], env);
  assert.equal(init.status, 0, init.stderr);
  assert.match(init.stdout, /20261123_0100_identity_init/);
  assert.match(init.stdout, /20261123_0700_ledger/);
  assert.equal(custodia(['migrate'], env).stdout.trim(), 'the schema is up to date');
  const org = custodia(
    ['org', 'add', '--name', 'Riverside Hospital', '--name-zh', '河畔医院', '--type', 'hospital'],
    env,
  );
  assert.equal(org.status, 0, org.stderr);
  const user = custodia(
    [
      'user',
      'add',
      '--username',
      'dr-he',
      '--org',
      '河畔医院',
      '--roles',
      'clinician',
      '--qualification',
      'practising-licence=1101',
    ],
    env,
    'a-long-enough-password\n',
  );
  assert.equal(user.status, 0, user.stderr);
  const svc = custodia(
    [
      'user',
      'add',
      '--username',
      'etl',
      '--org',
      'Riverside Hospital',
      '--roles',
      'data-steward',
      '--service',
    ],
    env,
  );
  assert.match(svc.stdout, /API key \(shown once/);
  const list = custodia(['user', 'list'], env);
  assert.match(list.stdout, /dr-he/);
  assert.match(list.stdout, /etl .*service/);
  const bad = custodia(
    ['user', 'add', '--username', 'wizard-user', '--org', 'Riverside Hospital', '--roles', 'wizard'],
    env,
    'a-long-enough-password',
  );
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown role "wizard"/);
});

test('serve stops cleanly on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodia-cli-'));
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: dir,
    env: { ...process.env, CUSTODIA_PORT: '0', CUSTODIA_DATABASE_URL: '', CUSTODIA_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 30_000);
    child.stderr.on('data', () => {
      const m = /API:\s+(http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
});
