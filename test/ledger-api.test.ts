/**
 * The ledger over HTTP on a whole Custodia: logins recorded, public checkpoints that verify with
 * the stand-alone verifier, inclusion and consistency proofs, oversight-only queries, FHIR views,
 * data passports, and forged or forked checkpoints refused with an alarm.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CompactTree,
  leafHash,
  signCheckpoint,
  ed25519NoteSigner,
  ed25519Signer,
  randomSeed,
  verifyCheckpoint,
  verifyConsistency,
  verifyEntryInclusion,
  type AuditEntry,
  type LedgerAlarm,
  type PatientToken,
} from '../src/ledger/index.js';
import { testDialects } from '../src/store/testing.js';
import { loginAs, startTestSystem, TEST_PASSWORD, type TestSystem } from './helpers/system.js';

interface EntryJson {
  index: number;
  leafHash: string;
  canonical: string;
  entry: AuditEntry;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const PATIENT = 'pt_Zk3mQ9xLr2VbN8sT1wYc' as PatientToken;

async function entries(ts: TestSystem, token: string, query: string) {
  const res = await ts.app.inject({ url: `/ledger/entries?${query}`, headers: bearer(token) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { entries: EntryJson[]; next?: number };
}

async function info(ts: TestSystem) {
  const res = await ts.app.inject('/ledger');
  assert.equal(res.statusCode, 200);
  return res.json() as { origin: string; logKey: string; size: number };
}

for (const { dialect, skip } of testDialects()) {
  describe(`ledger API on ${dialect}`, { skip }, () => {
    test('every login attempt is recorded with the user id, never the name typed or the password', async () => {
      const ts = await startTestSystem(dialect);
      try {
        const officer = await loginAs(ts, 'olivia', ['privacy-officer']);
        const olivia = (await ts.system.directory.findUser(ts.system.tenantId, 'olivia'))!;
        for (const [username, password] of [
          ['olivia', 'wrong-password-1'],
          ['no-such-user-xyz', 'guess-123456'],
        ] as const) {
          const res = await ts.app.inject({
            method: 'POST',
            url: '/auth/token',
            payload: { username, password },
          });
          assert.equal(res.statusCode, 401);
        }
        const page = await entries(ts, officer, 'kind=login');
        const logins = page.entries.map((e) => e.entry);
        assert.deepEqual(
          logins.map((e) => [e.actor, e.decision, e.reason]),
          [
            [olivia.id, 'permit', 'password verified'],
            [olivia.id, 'deny', 'bad-credentials'],
            ['anonymous', 'deny', 'bad-credentials'],
          ],
        );
        assert.equal(logins[0]!.organization, olivia.orgId);
        const all = page.entries.map((e) => e.canonical).join('\n');
        for (const secret of [
          'olivia"',
          'no-such-user-xyz',
          'wrong-password-1',
          'guess-123456',
          TEST_PASSWORD,
        ])
          assert.ok(!all.includes(secret), `${secret} leaked into the ledger`);
      } finally {
        await ts.dispose();
      }
    });

    test('public checkpoint and inclusion proofs verify stand-alone; unknown entries are 404', async () => {
      const ts = await startTestSystem(dialect);
      try {
        const admin = await loginAs(ts, 'root', ['admin']);
        const { origin, logKey } = await info(ts);
        // Signed now, not at the next tick of the cadence: it covers every entry so far.
        await ts.system.ledger.checkpoint();
        const cp = await ts.app.inject('/ledger/checkpoint');
        assert.equal(cp.statusCode, 200);
        assert.match(String(cp.headers['content-type']), /^text\/plain/);
        const opened = verifyCheckpoint(cp.body, { origin, logKeys: [logKey] });
        assert.ok(opened.ok, opened.ok ? '' : opened.problem);
        assert.equal(opened.value.size, ts.system.ledger.size);

        const entry = await ts.app.inject({ url: '/ledger/entries/0', headers: bearer(admin) });
        assert.equal(entry.statusCode, 200);
        const { canonical } = entry.json() as EntryJson;
        const proof = await ts.app.inject({ url: '/ledger/entries/0/proof', headers: bearer(admin) });
        assert.equal(proof.statusCode, 200);
        const bytes = Buffer.from(canonical, 'utf8');
        const checked = verifyEntryInclusion(bytes, proof.json(), { origin, logKeys: [logKey] });
        assert.ok(checked.ok, checked.ok ? '' : checked.problem);
        // A changed entry does not verify against the same proof.
        const altered = Buffer.from(canonical.replace('permit', 'deny__'), 'utf8');
        assert.equal(verifyEntryInclusion(altered, proof.json(), { origin, logKeys: [logKey] }).ok, false);

        const missing = await ts.app.inject({ url: '/ledger/entries/999999/proof', headers: bearer(admin) });
        assert.equal(missing.statusCode, 404);
        assert.equal(missing.headers['content-type'], 'application/problem+json; charset=utf-8');
        assert.match(missing.json().detail, /does not exist/);
        const anonymous = await ts.app.inject('/ledger/entries/0/proof');
        assert.equal(anonymous.statusCode, 401);
      } finally {
        await ts.dispose();
      }
    });

    test('consistency proofs between signed sizes verify', async () => {
      const ts = await startTestSystem(dialect);
      try {
        await loginAs(ts, 'root', ['admin']);
        const older = await ts.system.ledger.checkpoint();
        for (let i = 0; i < 37; i++)
          await ts.system.ledger.append({
            kind: 'read',
            actor: 'u-1',
            organization: 'o-1',
            action: 'Observation.read',
            targets: [PATIENT],
            time: 1_800_000_000_000 + i,
          });
        const newer = await ts.system.ledger.checkpoint();
        const res = await ts.app.inject(`/ledger/consistency?from=${older.size}&to=${newer.size}`);
        assert.equal(res.statusCode, 200);
        const proof = (res.json() as { proof: string[] }).proof.map((p) => Buffer.from(p, 'base64'));
        assert.ok(verifyConsistency(older.size, newer.size, older.root, newer.root, proof));
        assert.ok(!verifyConsistency(older.size, newer.size, newer.root, older.root, proof));
        const bad = await ts.app.inject(`/ledger/consistency?from=${newer.size + 5}`);
        assert.equal(bad.statusCode, 400);
      } finally {
        await ts.dispose();
      }
    });

    test('queries need an oversight role, filter, page, and give FHIR views', async () => {
      const ts = await startTestSystem(dialect);
      try {
        const clinician = await loginAs(ts, 'dr-wu', ['clinician']);
        const regulator = await loginAs(ts, 'reg', ['regulator']);
        const denied = await ts.app.inject({ url: '/ledger/entries', headers: bearer(clinician) });
        assert.equal(denied.statusCode, 403);
        const t0 = Date.UTC(2026, 10, 23, 8);
        const write = await ts.system.ledger.append({
          kind: 'write',
          operation: 'update',
          actor: 'u-writer',
          organization: 'org-a',
          action: 'Observation.update',
          purpose: 'treatment',
          targets: [PATIENT],
          resources: ['Observation/obs-1'],
          time: t0,
        });
        for (let i = 0; i < 3; i++)
          await ts.system.ledger.append({
            kind: 'access-decision',
            decision: i === 0 ? 'deny' : 'permit',
            actor: 'u-reader',
            organization: 'org-a',
            action: 'Observation.read',
            purpose: 'research',
            targets: [PATIENT],
            time: t0 + 60_000 * (i + 1),
          });
        const byPatient = await entries(ts, regulator, `patient=${PATIENT}`);
        assert.equal(byPatient.entries.length, 4);
        const paged = await entries(ts, regulator, `patient=${PATIENT}&limit=3`);
        assert.equal(paged.entries.length, 3);
        const rest = await entries(ts, regulator, `patient=${PATIENT}&limit=3&after=${paged.next}`);
        assert.equal(rest.entries.length, 1);
        assert.equal(rest.next, undefined);
        const window = await entries(
          ts,
          regulator,
          `actor=u-reader&from=${new Date(t0 + 90_000).toISOString()}&to=${t0 + 240_000}`,
        );
        assert.deepEqual(
          window.entries.map((e) => e.entry.time),
          [t0 + 120_000, t0 + 180_000],
        );
        assert.equal((await entries(ts, regulator, 'action=Observation.update')).entries.length, 1);
        const badTime = await ts.app.inject({
          url: '/ledger/entries?from=yesterday',
          headers: bearer(regulator),
        });
        assert.equal(badTime.statusCode, 400);

        const event = await ts.app.inject({
          url: `/ledger/entries/${write.index + 1}/audit-event`,
          headers: bearer(regulator),
        });
        assert.equal(event.statusCode, 200);
        assert.match(String(event.headers['content-type']), /application\/fhir\+json/);
        assert.equal(event.json().resourceType, 'AuditEvent');
        assert.equal(event.json().outcome, '4');
        const provenance = await ts.app.inject({
          url: `/ledger/entries/${write.index}/provenance`,
          headers: bearer(regulator),
        });
        assert.equal(provenance.statusCode, 200);
        assert.deepEqual(provenance.json().target, [{ reference: 'Observation/obs-1' }]);
        const notAWrite = await ts.app.inject({
          url: `/ledger/entries/${write.index + 1}/provenance`,
          headers: bearer(regulator),
        });
        assert.equal(notAWrite.statusCode, 404);
      } finally {
        await ts.dispose();
      }
    });

    test('the data passport follows a dataset from its sources to its releases', async () => {
      const ts = await startTestSystem(dialect);
      try {
        const steward = await loginAs(ts, 'stew', ['data-steward']);
        const event = (
          dataset: string,
          stage: 'collection' | 'de-identification' | 'release',
          from: string[],
        ) =>
          ts.system.ledger.append({
            kind: 'dataset-event',
            dataset,
            stage,
            derivedFrom: from,
            actor: 'u-steward',
            organization: 'org-a',
            action: `dataset.${stage}`,
            targets: [],
            time: Date.now(),
            ...(stage === 'release' ? { recipient: 'org-research' } : {}),
          });
        await event('ds-raw', 'collection', []);
        await event('ds-deid', 'de-identification', ['ds-raw']);
        await event('ds-deid', 'release', ['ds-raw']);
        const res = await ts.app.inject({
          url: '/ledger/datasets/ds-deid/passport',
          headers: bearer(steward),
        });
        assert.equal(res.statusCode, 200);
        const passport = res.json() as { chain: { dataset: string }[]; releases: { recipient: string }[] };
        assert.deepEqual(
          passport.chain.map((n) => n.dataset),
          ['ds-raw', 'ds-deid'],
        );
        assert.deepEqual(
          passport.releases.map((r) => r.recipient),
          ['org-research'],
        );
        const unknown = await ts.app.inject({
          url: '/ledger/datasets/ds-none/passport',
          headers: bearer(steward),
        });
        assert.equal(unknown.statusCode, 404);
      } finally {
        await ts.dispose();
      }
    });

    test('a forged or forked checkpoint is refused and alarmed, never accepted', async () => {
      const ts = await startTestSystem(dialect);
      try {
        const admin = await loginAs(ts, 'root', ['admin']);
        const seen: LedgerAlarm[] = [];
        ts.system.ledgerAlarms.on((a) => seen.push(a));
        const { origin } = await info(ts);
        const good = await ts.system.ledger.checkpoint();
        const ok = await ts.app.inject({
          method: 'POST',
          url: '/ledger/checkpoints/check',
          payload: good.note,
          headers: { 'content-type': 'text/plain' },
        });
        assert.equal(ok.statusCode, 200);

        // Signed by someone else under the log's name.
        const forger = ed25519NoteSigner(origin, ed25519Signer(randomSeed()));
        const forged = signCheckpoint({ origin, size: good.size, root: good.root }, forger);
        const refused = await ts.app.inject({
          method: 'POST',
          url: '/ledger/checkpoints/check',
          payload: forged.note,
          headers: { 'content-type': 'text/plain' },
        });
        assert.equal(refused.statusCode, 403);

        // Signed with the log's own key over a different history: a split view.
        const logKey = (await ts.system.keys.signingKey('ledger')).privateKey;
        const fork = new CompactTree();
        for (let i = 0; i < good.size; i++) fork.append(leafHash(Buffer.from(`forged ${i}`)));
        const forked = signCheckpoint(
          { origin, size: good.size, root: fork.root() },
          ed25519NoteSigner(origin, ed25519Signer(logKey)),
        );
        const split = await ts.app.inject({
          method: 'POST',
          url: '/ledger/checkpoints/check',
          payload: forked.note,
          headers: { 'content-type': 'text/plain' },
        });
        assert.equal(split.statusCode, 409);
        assert.equal(split.headers['content-type'], 'application/problem+json; charset=utf-8');
        assert.deepEqual(
          seen.map((a) => a.kind),
          ['bad-signature', 'split-view'],
        );
        const alarms = await ts.app.inject({ url: '/ledger/alarms', headers: bearer(admin) });
        assert.deepEqual(
          (alarms.json() as LedgerAlarm[]).map((a) => a.kind),
          ['bad-signature', 'split-view'],
        );
        assert.ok(ts.logs.text.includes('"event":"ledger-alarm"'));
        // Still the log's own checkpoint: nothing was accepted.
        const latest = await ts.app.inject('/ledger/checkpoint');
        assert.ok(latest.body.startsWith(good.body) || latest.body.includes(`\n${ts.system.ledger.size}\n`));
        assert.ok(!latest.body.includes(Buffer.from(fork.root()).toString('base64')));
      } finally {
        await ts.dispose();
      }
    });

    test('the ledger routes are in the OpenAPI document', async () => {
      const ts = await startTestSystem(dialect);
      try {
        const doc = (await ts.app.inject('/openapi.json')).json() as { paths: Record<string, unknown> };
        for (const path of [
          '/ledger',
          '/ledger/checkpoint',
          '/ledger/entries',
          '/ledger/entries/{index}/proof',
          '/ledger/datasets/{id}/passport',
          '/ledger/witness/add-checkpoint',
        ])
          assert.ok(doc.paths[path], `${path} missing from the OpenAPI document`);
      } finally {
        await ts.dispose();
      }
    });
  });
}
