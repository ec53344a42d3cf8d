import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CustodiaError } from '../core/index.js';
import { describeConfig, loadConfig } from './config.js';

const dir = () => mkdtempSync(join(tmpdir(), 'custodia-config-'));

test('defaults: hub, ./data, 127.0.0.1:8080, embedded SQLite', () => {
  const cwd = dir();
  const c = loadConfig({}, { cwd });
  assert.equal(c.role, 'hub');
  assert.equal(c.dataDir, join(cwd, 'data'));
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.databaseUrl, undefined);
});

test('the environment overrides the config file, which overrides defaults', () => {
  const cwd = dir();
  writeFileSync(
    join(cwd, 'custodia.config.json'),
    JSON.stringify({ port: 9000, role: 'node', host: '0.0.0.0' }),
  );
  const c = loadConfig({ CUSTODIA_PORT: '9100' }, { cwd });
  assert.equal(c.port, 9100);
  assert.equal(c.role, 'node');
  assert.equal(c.host, '0.0.0.0');
});

test('YAML config files work too', () => {
  const cwd = dir();
  writeFileSync(join(cwd, 'c.yaml'), 'port: 7000\ndataDir: /tmp/x\n');
  const c = loadConfig({ CUSTODIA_CONFIG: 'c.yaml' }, { cwd });
  assert.equal(c.port, 7000);
  assert.equal(c.dataDir, '/tmp/x');
});

for (const [env, key] of [
  [{ CUSTODIA_ROLE: 'satellite' }, 'CUSTODIA_ROLE'],
  [{ CUSTODIA_PORT: '80a' }, 'CUSTODIA_PORT'],
  [{ CUSTODIA_PORT: '70000' }, 'CUSTODIA_PORT'],
  [{ CUSTODIA_DATABASE_URL: 'mysql://x' }, 'CUSTODIA_DATABASE_URL'],
  [{ CUSTODIA_LOG_LEVEL: 'loud' }, 'CUSTODIA_LOG_LEVEL'],
] as const) {
  test(`a bad ${key} stops start-up naming the key and what is allowed`, () => {
    assert.throws(
      () => loadConfig(env, { cwd: dir() }),
      (e: unknown) =>
        e instanceof CustodiaError &&
        e.code === 'invalid-config' &&
        e.message.includes(key) &&
        e.message.includes('expected'),
    );
  });
}

test('an unknown key or malformed file names the problem', () => {
  const cwd = dir();
  writeFileSync(join(cwd, 'custodia.config.json'), JSON.stringify({ prot: 1 }));
  assert.throws(() => loadConfig({}, { cwd }), /unknown configuration key "prot"/);
  writeFileSync(join(cwd, 'custodia.config.json'), '{ port: ');
  assert.throws(() => loadConfig({}, { cwd }), /not valid JSON/);
});

test('secrets never appear in the printable configuration', () => {
  const c = loadConfig(
    {
      CUSTODIA_DATABASE_URL: 'postgres://u:hunter2@db/x',
      CUSTODIA_MASTER_KEY: 'k'.repeat(44),
      CUSTODIA_DEMO_PASSWORD: 'demo-password-1',
    },
    { cwd: dir() },
  );
  const text = JSON.stringify(describeConfig(c));
  assert.ok(!text.includes('hunter2') && !text.includes('kkkk') && !text.includes('demo-password-1'));
});

test('careWindowDays: 90 days by default; the file or the environment sets another, 0 included', () => {
  assert.equal(loadConfig({}, { cwd: dir() }).careWindowDays, 90);
  const cwd = dir();
  writeFileSync(join(cwd, 'custodia.config.json'), JSON.stringify({ careWindowDays: 30 }));
  assert.equal(loadConfig({}, { cwd }).careWindowDays, 30);
  assert.equal(loadConfig({ CUSTODIA_CARE_WINDOW_DAYS: '0' }, { cwd }).careWindowDays, 0);
});

for (const bad of ['-1', '1.5', 'ninety', '']) {
  test(`a careWindowDays of "${bad}" stops start-up, in English and Chinese`, () => {
    assert.throws(
      () => loadConfig({ CUSTODIA_CARE_WINDOW_DAYS: bad }, { cwd: dir() }),
      (e: unknown) =>
        e instanceof CustodiaError &&
        e.code === 'invalid-config' &&
        e.message.includes('CUSTODIA_CARE_WINDOW_DAYS') &&
        e.message.includes('whole days') &&
        e.zh !== undefined &&
        e.zh.includes('CUSTODIA_CARE_WINDOW_DAYS') &&
        e.zh.includes('无效'),
    );
  });
}
