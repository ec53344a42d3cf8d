/**
 * `custodia policy|break-glass|emergency` as an operator runs them on a fresh data directory:
 * a bad pack refused with Cedar's message (and not stored), a good pack proposed and activated, a
 * break-glass grant listed and reviewed, an emergency declared (not by a privacy officer), listed
 * and ended; each change in the ledger.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, openSystem } from '../src/app/index.js';
import { defaultPolicyFiles, type PolicyAuditNote } from '../src/policy/index.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'custodia.js');
const ENV = { CUSTODIA_DATABASE_URL: '', CUSTODIA_CONFIG: '', CUSTODIA_NEW_PASSWORD: 'cli-password-0123' };

function custodia(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, ...ENV },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(cwd: string, args: string[]): string {
  const r = custodia(cwd, args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Organizations, users and a clinician's break-glass grant (what the API does), made in-process
 * on the same data directory: each spawned command costs seconds, and these are not under test.
 */
async function setUp(cwd: string): Promise<{ grantId: string }> {
  const system = await openSystem(loadConfig(ENV, { cwd }));
  try {
    const { directory, tenantId } = system;
    const hospital = await directory.createOrganization(tenantId, { name: 'Hospital A', type: 'hospital' });
    const commission = await directory.createOrganization(tenantId, {
      name: 'Health Commission',
      type: 'regulator',
    });
    const user = (username: string, orgId: typeof hospital.id, roles: string[]) =>
      directory.createUser(tenantId, { username, orgId, roles, password: ENV.CUSTODIA_NEW_PASSWORD });
    await user('privacy', hospital.id, ['privacy-officer']);
    const doctor = await user('doctor', hospital.id, ['clinician']);
    await user('regulator', commission.id, ['regulator']);
    const actor = { userId: doctor.id, orgId: doctor.orgId, roles: doctor.roles };
    const record = (note: PolicyAuditNote) => system.guard.recordPolicyEvent(note);
    const { grant } = await system.breakGlass.declare(actor, record, 'patient-1', '患者昏迷，需查过敏史');
    return { grantId: grant.id };
  } finally {
    await system.close();
  }
}

/** The actions of the ledger's entries, read in-process after the commands ran. */
async function ledgerActions(cwd: string): Promise<string[]> {
  const system = await openSystem(loadConfig(ENV, { cwd }));
  try {
    return (await system.ledger.query({ limit: 1000 })).entries.map((e) => e.entry.action);
  } finally {
    await system.close();
  }
}

test(
  'policy, break-glass and emergency commands on a real data directory',
  { timeout: 600_000 },
  async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'custodia-policy-cli-'));
    try {
      ok(cwd, ['init']);
      const { grantId } = await setUp(cwd);

      const bad = join(cwd, 'bad-pack');
      mkdirSync(bad);
      writeFileSync(
        join(bad, 'bad.cedar'),
        '@id("bad")\npermit (principal, action, resource) when { context.noSuchThing };\n',
      );
      const refused = custodia(cwd, ['policy', 'propose', bad, '--as', 'privacy']);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /bad\.cedar/);
      assert.match(refused.stderr, /noSuchThing/);
      assert.match(refused.stderr, /策略未通过模式校验/);

      const good = join(cwd, 'good-pack');
      mkdirSync(good);
      for (const [name, source] of Object.entries(defaultPolicyFiles()))
        writeFileSync(join(good, name), source);
      writeFileSync(
        join(good, 'no-marketing.cedar'),
        '@id("no-marketing")\n@reason("no-marketing")\nforbid (principal, action, resource) when { context.purpose == "marketing" };\n',
      );
      assert.match(
        ok(cwd, ['policy', 'propose', good, '--as', 'privacy', '--note', '禁止营销用途']),
        /proposed version 2 \(sha256:/,
      );
      assert.match(ok(cwd, ['policy', 'activate', '2', '--as', 'privacy']), /version 2 is in force/);
      assert.match(
        ok(cwd, ['policy', 'list']),
        /^\* v2 +active[^\n]*禁止营销用途\n {2}v1 +superseded[^\n]*\n2 version\(s\)/,
        'the refused pack was not stored',
      );
      assert.match(ok(cwd, ['policy', 'show', '2']), /--- no-marketing\.cedar\n@id\("no-marketing"\)/);
      assert.match(ok(cwd, ['policy', 'history']), /activate +v1[\s\S]*propose +v2[\s\S]*activate +v2/);

      const queue = ok(cwd, ['break-glass', 'list']);
      assert.match(queue, new RegExp(`${grantId} .* patient patient-1 `));
      assert.match(queue, /1 grant\(s\) awaiting review/);
      assert.match(
        ok(cwd, [
          'break-glass',
          'review',
          grantId,
          '--outcome',
          'justified',
          '--note',
          '急诊记录证实',
          '--as',
          'privacy',
        ]),
        /reviewed: justified/,
      );
      assert.match(ok(cwd, ['break-glass', 'list']), /^0 grant\(s\) awaiting review/);

      const declare = (who: string) =>
        custodia(cwd, [
          'emergency',
          'declare',
          '--reason',
          'H7N9 疫情',
          '--category',
          'health-status,public-health',
          '--region',
          '42,4403',
          '--hours',
          '72',
          '--as',
          who,
        ]);
      const notRegulator = declare('privacy');
      assert.equal(notRegulator.status, 1);
      assert.match(notRegulator.stderr, /only a regulator/);
      assert.match(notRegulator.stderr, /只有监管人员/);
      const declared = declare('regulator');
      assert.equal(declared.status, 0, declared.stderr);
      const id = /emergency (\S+) declared/.exec(declared.stdout)![1]!;
      assert.match(ok(cwd, ['emergency', 'list']), new RegExp(`${id} .* regions 42,4403 `));
      assert.match(ok(cwd, ['emergency', 'end', id, '--as', 'regulator']), /ended/);
      assert.match(ok(cwd, ['emergency', 'list']), /^0 emergency\(ies\) in force/);

      const actions = await ledgerActions(cwd);
      for (const action of [
        'policy.propose',
        'policy.activate',
        'break-glass.declare',
        'break-glass.review',
        'emergency.declare',
        'emergency.end',
      ])
        assert.ok(actions.includes(action), action);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  },
);
