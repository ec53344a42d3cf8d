import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultValidator } from '../src/fhir/index.js';
import type { Role } from '../src/identity/index.js';
import { testDialects } from '../src/store/testing.js';
import { TEST_PASSWORD, loginAs, startTestSystem, type TestSystem } from './helpers/system.js';

type Json = Record<string, unknown>;

for (const { dialect, skip } of testDialects()) {
  describe(`consent and patient portal over HTTP (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    let clinician: string;
    let officer: string;
    let officerB: string;
    let steward: string;
    let alice: { id: string; token: string };
    let bob: { id: string; token: string };
    let minorId: string;
    let guardian: string;

    const call = (token: string | null, method: string, url: string, payload?: unknown) =>
      ts.app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const ok = async (token: string | null, method: string, url: string, payload?: unknown, status = 200) => {
      const res = await call(token, method, url, payload);
      assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
      return res.json() as Json;
    };

    const createPatient = async (family: string, birthDate: string) => {
      const res = await ts.app.inject({
        method: 'POST',
        url: '/fhir/Patient',
        headers: { authorization: `Bearer ${clinician}`, 'content-type': 'application/fhir+json' },
        payload: JSON.stringify({ resourceType: 'Patient', name: [{ family, given: ['测试'] }], birthDate }),
      });
      assert.equal(res.statusCode, 201, res.body);
      return (res.json() as { id: string }).id;
    };
    const userFor = async (username: string, roles: Role[], patientId: string | null) => {
      const { directory, tenantId } = ts.system;
      const org = await directory.findOrganizationByName(tenantId, 'Hospital A');
      await directory.createUser(tenantId, {
        username,
        orgId: org!.id,
        roles,
        password: TEST_PASSWORD,
        ...(patientId ? { patientRef: `Patient/${patientId}` } : {}),
      });
      const res = await call(null, 'POST', '/auth/token', { username, password: TEST_PASSWORD });
      return (res.json() as { access_token: string }).access_token;
    };
    const ledgerEntriesOf = async (patientId: string) => {
      const token = ts.system.guard.patientToken(patientId)!;
      return (await ts.system.ledger.query({ patient: token, limit: 1000 })).entries.map((e) => e.entry);
    };

    before(async () => {
      ts = await startTestSystem(dialect);
      clinician = await loginAs(ts, 'clin-a', ['clinician'], 'Hospital A');
      officer = await loginAs(ts, 'privacy-a', ['privacy-officer'], 'Hospital A');
      officerB = await loginAs(ts, 'privacy-b', ['privacy-officer'], 'Hospital B');
      steward = await loginAs(ts, 'steward-a', ['data-steward'], 'Hospital A');
      const aliceId = await createPatient('王', '1980-05-01');
      const bobId = await createPatient('李', '1975-01-01');
      const year = new Date().getUTCFullYear();
      minorId = await createPatient('赵', `${year - 10}-06-01`);
      alice = { id: aliceId, token: await userFor('alice', ['patient'], aliceId) };
      bob = { id: bobId, token: await userFor('bob', ['patient'], bobId) };
      guardian = await userFor('zhao-parent', ['patient'], null);
      // The clinician reads Alice's record: it must show in her access history.
      assert.equal((await call(clinician, 'GET', `/fhir/Patient/${aliceId}`)).statusCode, 200);
    });
    after(() => ts?.dispose());

    test('grant and deny: versions, receipts, overlaps saved with their precedence', async () => {
      const empty = await ok(alice.token, 'GET', `/consents/${alice.id}`);
      assert.equal((empty.consent as Json).version, 0);
      const first = await ok(
        alice.token,
        'POST',
        `/consents/${alice.id}/rules`,
        {
          rules: [
            { effect: 'deny', purposes: ['HRESCH'] },
            { effect: 'grant', purposes: ['HRESCH'], recipient: { kind: 'project', values: ['proj-1'] } },
            { effect: 'deny', purposes: ['HRESCH'] },
          ],
        },
        201,
      );
      const version = first.version as Json;
      assert.equal(version.version, 1);
      assert.equal(
        (first.consent as { rules: unknown[] }).rules.length,
        3,
        'a duplicate is kept, not dropped',
      );
      const overlaps = first.overlaps as { rule: { seq: number }; other: { seq: number }; wins: string }[];
      const pair = (a: number, b: number) =>
        overlaps.find(
          (o) => (o.rule.seq === a && o.other.seq === b) || (o.rule.seq === b && o.other.seq === a),
        );
      assert.ok(pair(1, 2) && pair(2, 3) && pair(1, 3), JSON.stringify(overlaps));
      const grantVsDeny = pair(1, 2)!;
      assert.equal(
        grantVsDeny.rule.seq === 2 ? grantVsDeny.wins : { rule: 'other', other: 'rule' }[grantVsDeny.wins],
        'rule',
      );
      const verified = await ok(null, 'POST', '/consents/receipts/verify', { receipt: version.receipt });
      assert.equal((verified.claims as { sub: string }).sub, `Patient/${alice.id}`);
      const keys = await ok(null, 'GET', '/consents/receipt-keys');
      assert.equal((keys.keys as unknown[]).length, 1);
      const changes = (await ledgerEntriesOf(alice.id)).filter((e) => e.kind === 'consent-change');
      assert.deepEqual(
        changes.map((e) => e.action),
        ['consent.grant'],
      );
    });

    test('a period that ends before it starts: 400, in both languages', async () => {
      const res = await call(alice.token, 'POST', `/consents/${alice.id}/rules`, {
        rules: [
          { effect: 'grant', purposes: ['HRESCH'], period: { start: '2027-01-01', end: '2026-01-01' } },
        ],
      });
      assert.equal(res.statusCode, 400);
      const problem = res.json() as { detail: string; zh?: string } & Json;
      assert.match(JSON.stringify(problem), /ends before it starts/);
      assert.match(JSON.stringify(problem), /结束时间早于/);
    });

    test("another patient's consent: 403, and recorded in the ledger", async () => {
      for (const [method, url, body] of [
        ['GET', `/consents/${bob.id}`, undefined],
        ['POST', `/consents/${bob.id}/rules`, { rules: [{ effect: 'grant' }] }],
      ] as const) {
        const res = await call(alice.token, method, url, body);
        assert.equal(res.statusCode, 403, res.body);
      }
      const denials = (await ledgerEntriesOf(bob.id)).filter((e) => e.kind === 'access-decision');
      assert.deepEqual(
        denials.map((e) => [e.action, e.decision, e.reason]),
        [
          ['consent.view', 'deny', 'not-own-consent'],
          ['consent.grant', 'deny', 'not-own-consent'],
        ],
      );
    });

    test('evaluation shows the deciding rule, and a revocation applies to the very next request', async () => {
      const org = await ts.system.directory.findOrganizationByName(ts.system.tenantId, 'Hospital A');
      const ask = {
        grade: 'grade-2',
        purpose: 'HRESCH',
        labels: ['health-status'],
        recipient: { organization: org!.id, project: 'proj-1' },
      };
      const explained = await ok(alice.token, 'POST', `/consents/${alice.id}/evaluate`, ask);
      assert.equal(explained.permit, true);
      assert.equal((explained.rule as Json).seq, 2);
      assert.deepEqual(
        (explained.overridden as { rule: { seq: number }; lost: string }[]).map((o) => [o.rule.seq, o.lost]),
        [
          [1, 'narrower-rule-applies'],
          [3, 'narrower-rule-applies'],
        ],
      );
      const query = {
        patient: alice.id,
        grade: `${ts.system.consent.scheme.id}:grade-2`,
        purpose: 'research' as const,
        labels: ['health-status'],
        recipient: { organization: org!.id, project: 'proj-1' },
      };
      assert.equal((await ts.system.consent.evaluate(query)).permit, true);
      const grantId = (
        (await ok(alice.token, 'GET', `/consents/${alice.id}`)).consent as {
          rules: { id: string; effect: string }[];
        }
      ).rules.find((r) => r.effect === 'grant')!.id;
      const revoked = await ok(alice.token, 'POST', `/consents/${alice.id}/revoke`, { rules: [grantId] });
      assert.deepEqual((revoked.version as { removed: string[] }).removed, [grantId]);
      const after = await ts.system.consent.evaluate(query);
      assert.equal(after.permit, false);
      assert.equal(after.basis, 'rule');
      const history = await ok(alice.token, 'GET', `/consents/${alice.id}/history`);
      assert.deepEqual(
        (history.versions as { version: number; action: string }[]).map((v) => [v.version, v.action]),
        [
          [2, 'revoke'],
          [1, 'grant'],
        ],
      );
      const receipt = await ok(alice.token, 'GET', `/consents/${alice.id}/versions/1/receipt`);
      assert.equal((receipt.claims as { consent: { version: number } }).consent.version, 1);
    });

    test('FHIR R4 Consent: export validates, import replaces the rules, unsupported provisions are refused', async () => {
      const exported = await ok(alice.token, 'GET', `/consents/${alice.id}/fhir`);
      const valid = defaultValidator().validate(exported, { expectedType: 'Consent' });
      assert.ok(valid.valid, JSON.stringify(valid));
      const provisions = (exported.provision as { provision: Json[] }).provision;
      assert.equal(provisions.length, 2);
      const imported = await ok(alice.token, 'PUT', `/consents/${alice.id}/fhir`, {
        ...exported,
        provision: {
          provision: [
            ...provisions,
            {
              type: 'permit',
              purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HRESCH' }],
              actor: [
                {
                  role: {
                    coding: [
                      { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' },
                    ],
                  },
                  reference: {
                    identifier: { system: 'https://custodia.dev/fhir/NamingSystem/project', value: 'proj-2' },
                  },
                },
              ],
            },
          ],
        },
      });
      assert.equal((imported.version as Json).action, 'import');
      assert.equal((imported.consent as { rules: unknown[] }).rules.length, 3);
      const refused = await call(alice.token, 'PUT', `/consents/${alice.id}/fhir`, {
        ...exported,
        provision: { provision: [{ type: 'deny', code: [{ text: 'x' }] }] },
      });
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /provision\[0\]\.code is not supported/);
      const invalid = await call(alice.token, 'PUT', `/consents/${alice.id}/fhir`, {
        resourceType: 'Consent',
        status: 'active',
      });
      assert.equal(invalid.statusCode, 400, 'scope and category are required by R4');
    });

    test('revocation reaches derived data through the registry', async () => {
      const use = {
        purpose: 'HRESCH',
        recipient: { organization: 'ri-1', project: 'proj-2' },
        grades: ['grade-2'],
        labels: ['health-status'],
      };
      await ok(
        steward,
        'POST',
        '/consent-registry/inclusions',
        { kind: 'dataset', id: 'ds-7', patients: [alice.id, bob.id], ...use },
        201,
      );
      const screenBefore = await ok(steward, 'POST', '/consent-registry/screen', {
        ...use,
        patients: [alice.id, bob.id],
        derivedFrom: { kind: 'dataset', id: 'ds-7' },
      });
      assert.deepEqual(screenBefore.include, [alice.id]);
      await ok(alice.token, 'POST', `/consents/${alice.id}/revoke`, { allGrants: true });
      const derived = await ok(alice.token, 'GET', `/consents/${alice.id}/derived`);
      const inclusion = (derived.inclusions as { id: string; flag: { version: number } | null }[])[0]!;
      assert.equal(inclusion.id, 'ds-7');
      assert.ok(inclusion.flag, 'flagged by the revocation');
      const flagged = await ok(officer, 'GET', '/consent-registry/dataset/ds-7?flagged=true');
      assert.deepEqual(
        (flagged.inclusions as { patient: string }[]).map((i) => i.patient),
        [alice.id],
      );
      const screenAfter = await ok(steward, 'POST', '/consent-registry/screen', {
        ...use,
        patients: [alice.id],
        derivedFrom: { kind: 'dataset', id: 'ds-7' },
      });
      assert.deepEqual(screenAfter.include, []);
      assert.equal(
        (await call(alice.token, 'POST', '/consent-registry/screen', { ...use, patients: [alice.id] }))
          .statusCode,
        403,
      );
    });

    test('portal: my records through guard, and who accessed my data', async () => {
      const records = await ok(alice.token, 'GET', '/portal/records');
      assert.equal(records.total, 1);
      assert.equal((records.resources as { id: string }[])[0]!.id, alice.id);
      assert.equal((await call(alice.token, 'GET', '/portal/records')).statusCode, 200);
      assert.equal((await call(clinician, 'GET', '/portal/records')).statusCode, 403);
      const log = await ok(alice.token, 'GET', '/portal/access-log');
      const entries = log.entries as {
        actor: string;
        action: string;
        organization: { name?: string };
        decision: string;
        proof: string;
        index: number;
      }[];
      const clinicianUser = await ts.system.directory.findUser(ts.system.tenantId, 'clin-a');
      const read = entries.find((e) => e.action === 'Patient.read' && e.actor === clinicianUser!.id);
      assert.ok(read, JSON.stringify(entries.map((e) => e.action)));
      assert.equal(read.organization.name, 'Hospital A');
      assert.equal(read.decision, 'permit');
      assert.ok(
        entries.some((e) => e.action === 'Patient.everything'),
        'her own portal read is listed too',
      );
      assert.ok(
        !entries.some((e) => e.action.startsWith('consent.view') && e.decision === 'deny'),
        'Bob’s refusals are not hers',
      );
      const proof = await call(alice.token, 'GET', read.proof);
      assert.equal(proof.statusCode, 200);
    });

    test('complaints: filed about an access, handled by that organization, followed by the patient', async () => {
      const log = await ok(alice.token, 'GET', '/portal/access-log');
      const read = (log.entries as { action: string; index: number }[]).find(
        (e) => e.action === 'Patient.read',
      )!;
      const bobLog = await ok(bob.token, 'GET', '/portal/access-log');
      const notHers = (bobLog.entries as { index: number }[])[0]!.index;
      assert.equal(
        (
          await call(alice.token, 'POST', '/portal/complaints', {
            topic: 'access',
            text: 'x',
            ledgerIndex: notHers,
          })
        ).statusCode,
        404,
      );
      const filed = await ok(
        alice.token,
        'POST',
        '/portal/complaints',
        { topic: 'access', text: '为什么查看我的病历？', ledgerIndex: read.index },
        201,
      );
      const listed = await ok(officer, 'GET', '/complaints?status=received');
      assert.deepEqual(
        (listed.complaints as { id: string; text: string }[]).map((c) => [c.id, c.text]),
        [[filed.id, '为什么查看我的病历？']],
      );
      assert.deepEqual((await ok(officerB, 'GET', '/complaints')).complaints, []);
      assert.equal(
        (await call(officerB, 'PATCH', `/complaints/${filed.id as string}`, { status: 'resolved' }))
          .statusCode,
        403,
      );
      await ok(officer, 'PATCH', `/complaints/${filed.id as string}`, { status: 'in-review' });
      const mine = await ok(alice.token, 'GET', '/portal/complaints');
      assert.equal((mine.complaints as { status: string }[])[0]!.status, 'in-review');
      assert.equal((await call(alice.token, 'GET', '/complaints')).statusCode, 403);
    });

    test("guardians: registered by the privacy officer, manage the minor's consent; not for adults", async () => {
      assert.equal((await call(guardian, 'GET', `/consents/${minorId}`)).statusCode, 403);
      const adult = await call(officer, 'POST', `/consents/${alice.id}/guardians`, {
        guardian: 'zhao-parent',
        relationship: 'parent',
      });
      assert.equal(adult.statusCode, 400, adult.body);
      await ok(
        officer,
        'POST',
        `/consents/${minorId}/guardians`,
        { guardian: 'zhao-parent', relationship: 'parent' },
        201,
      );
      const me = await ok(guardian, 'GET', '/portal/me');
      assert.deepEqual(
        (me.wards as { patient: string }[]).map((w) => w.patient),
        [minorId],
      );
      const view = await ok(guardian, 'GET', `/consents/${minorId}`);
      assert.equal(view.actedAs, 'guardian');
      const changed = await ok(
        guardian,
        'POST',
        `/consents/${minorId}/rules`,
        { rules: [{ effect: 'deny', purposes: ['ai-training'] }] },
        201,
      );
      assert.equal((changed.version as Json).actedAs, 'guardian');
      assert.equal(
        (
          await call(officerB, 'POST', `/consents/${minorId}/guardians`, {
            guardian: 'zhao-parent',
            relationship: 'parent',
          })
        ).statusCode,
        403,
        'another hospital cannot read the minor’s record',
      );
    });
  });
}
