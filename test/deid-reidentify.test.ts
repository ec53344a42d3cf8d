import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig, openSystem } from '../src/app/index.js';
import { runDeid } from '../src/deid/index.js';
import type { DeidProjectKeys } from '../src/guard/index.js';
import { testDialects } from '../src/store/testing.js';
import { loginAs, startTestSystem, type TestSystem } from './helpers/system.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'custodia.js');
const PROFILE = `
version: 1
profile: custom
fields:
  mrn: { op: tokenize }
  name: { op: pseudonymize }
  age: { op: keep }
`;
const ROWS = ['mrn,name,age', 'MRN-0001,张伟,54', 'MRN-0002,王芳,61', 'MRN-0001,张伟,54'];

/** De-identifies the sample table with a project's keys: the tokens of its MRNs, in row order. */
async function tokensOf(dir: string, keys: DeidProjectKeys) {
  writeFileSync(join(dir, 'profile.yaml'), PROFILE);
  writeFileSync(join(dir, 'in.csv'), ROWS.join('\n') + '\n');
  await runDeid({
    configPath: join(dir, 'profile.yaml'),
    inputPath: join(dir, 'in.csv'),
    outputPath: join(dir, 'out.csv'),
    key: keys.key,
    tokenizer: keys.tokenizer,
  });
  return readFileSync(join(dir, 'out.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',')[0]!);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

for (const { dialect, skip } of testDialects()) {
  describe(`re-identification of a de-identification project's tokens (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    let tokens: string[];
    let dir: string;
    before(async () => {
      ts = await startTestSystem(dialect);
      dir = mkdtempSync(join(tmpdir(), 'custodia-reid-'));
      tokens = await tokensOf(dir, await ts.system.deidProjects.keysFor('trial-7'));
    });
    after(async () => {
      await ts.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    const reidentify = (token: string, body: object, purpose?: string) =>
      ts.app.inject({
        method: 'POST',
        url: '/deid/reidentify',
        headers: { authorization: `Bearer ${token}`, ...(purpose ? { 'x-purpose-of-use': purpose } : {}) },
        payload: body,
      });

    test('the output holds tokens, equal values give equal tokens, and a file run cannot reverse them', async () => {
      assert.equal(tokens.length, 3);
      assert.ok(tokens.every((t) => t.startsWith('tk_') && !t.includes('MRN')));
      assert.equal(tokens[0], tokens[2]);
      assert.notEqual(tokens[0], tokens[1]);
      const { tokenizer } = await ts.system.deidProjects.keysFor('trial-7');
      await assert.rejects(
        tokenizer.reidentify(tokens[0]!, { id: 'x', roles: ['privacy-officer'], purpose: 'HOPERAT' }),
        /may not re-identify/,
      );
    });

    test('a privacy officer with a purpose gets the values back, and the ledger names the tokens by digest only', async () => {
      const officer = await loginAs(ts, 'officer', ['privacy-officer']);
      const res = await reidentify(
        officer,
        { project: 'trial-7', tokens: [tokens[0], tokens[1]] },
        'HOPERAT',
      );
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.deepEqual(
        (res.json() as { values: { value: string }[] }).values.map((v) => v.value),
        ['MRN-0001', 'MRN-0002'],
      );
      const { entries } = await ts.system.ledger.query({ action: 'deid.reidentify' });
      const granted = entries.find((e) => e.entry.decision === 'permit');
      assert.ok(granted);
      assert.equal(granted.entry.purpose, 'HOPERAT');
      assert.ok(granted.entry.reason!.includes(sha256(tokens[0]!)));
      const text = Buffer.from(granted.bytes).toString('utf8');
      assert.ok(
        !text.includes('MRN-0001') && !text.includes(tokens[0]!),
        'neither value nor token in the ledger',
      );
    });

    test("another project's key does not reverse the tokens", async () => {
      const officer = await loginAs(ts, 'officer', ['privacy-officer']);
      const res = await reidentify(officer, { project: 'trial-8', tokens: [tokens[0]] }, 'HOPERAT');
      assert.equal(res.statusCode, 400);
      assert.match(res.body, /unknown or tampered token/);
    });

    test('a clinician, or anyone without a purpose, is refused and the refusal recorded', async () => {
      const clinician = await loginAs(ts, 'doc', ['clinician']);
      const denied = await reidentify(clinician, { project: 'trial-7', tokens: [tokens[0]] }, 'TREAT');
      assert.equal(denied.statusCode, 403);
      assert.match(denied.body, /privacy officer or data steward/);
      assert.equal((denied.json() as { reason?: string }).reason, 'may-not-reidentify');
      const steward = await loginAs(ts, 'steward', ['data-steward']);
      const noPurpose = await reidentify(steward, { project: 'trial-7', tokens: [tokens[0]] });
      assert.equal(noPurpose.statusCode, 403);
      assert.match(noPurpose.body, /purpose/);
      assert.equal((noPurpose.json() as { reason?: string }).reason, 'purpose-required');
      const { entries } = await ts.system.ledger.query({ action: 'deid.reidentify' });
      const denials = entries.filter((e) => e.entry.decision === 'deny');
      assert.ok(denials.length >= 2);
      assert.ok(denials.every((e) => !Buffer.from(e.bytes).toString('utf8').includes('MRN-')));
    });

    test('bad input: no tokens, too many, a malformed project name', async () => {
      const officer = await loginAs(ts, 'officer', ['privacy-officer']);
      assert.equal(
        (await reidentify(officer, { project: 'trial-7', tokens: [] }, 'HOPERAT')).statusCode,
        400,
      );
      const many = Array.from({ length: 21 }, () => tokens[0]);
      assert.equal(
        (await reidentify(officer, { project: 'trial-7', tokens: many }, 'HOPERAT')).statusCode,
        400,
      );
      const badName = await reidentify(officer, { project: '../x', tokens: [tokens[0]] }, 'HOPERAT');
      assert.equal(badName.statusCode, 400);
      assert.match(badName.body, /project name/);
      const badPurpose = await reidentify(officer, { project: 'trial-7', tokens: [tokens[0]] }, 'CURIOSITY');
      assert.equal(badPurpose.statusCode, 400);
      assert.match(badPurpose.body, /HRESCH/, 'the valid codes are listed');
      const byName = await reidentify(officer, { project: 'trial-7', tokens: [tokens[0]] }, 'operations');
      assert.equal(byName.statusCode, 200, 'a purpose may be given by its name too');
    });
  });
}

test('custodia deid --project tokenizes with the keyring, so the server can reverse what the CLI wrote', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodia-reid-cli-'));
  try {
    writeFileSync(join(dir, 'profile.yaml'), PROFILE);
    writeFileSync(join(dir, 'in.csv'), ROWS.join('\n') + '\n');
    const env = { ...process.env, CUSTODIA_DATA_DIR: join(dir, 'data'), CUSTODIA_LOG_LEVEL: 'error' };
    const r = spawnSync(
      process.execPath,
      [BIN, 'deid', '--no-progress', '--project', 'trial-7', '--config', 'profile.yaml', 'in.csv', 'out.csv'],
      { cwd: dir, env, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const cliTokens = readFileSync(join(dir, 'out.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]!);
    const system = await openSystem(loadConfig({ CUSTODIA_DATA_DIR: join(dir, 'data') }, { cwd: dir }));
    try {
      const again = await tokensOf(join(dir), await system.deidProjects.keysFor('trial-7'));
      assert.deepEqual(cliTokens, again);
    } finally {
      await system.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
