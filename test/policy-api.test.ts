/**
 * Policies, break-glass and public-health emergencies over HTTP, on both dialects, with care
 * relationships taken from the records: a pack that fails Cedar's validation is refused and the
 * version in force stays; a new forbid put in force denies a read it permitted before; a
 * clinician with no care relationship breaks the glass, reads under ETREAT (flagged in the
 * ledger), and the privacy officer reviews it; an expired grant says so; regulators declare and
 * end emergencies. Every change is in the ledger, and the reason a clinician typed is not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { testDialects } from '../src/store/testing.js';
import type { AuditEntry } from '../src/ledger/index.js';
import { AdjustableClock, loginAs, startTestSystem, type TestSystem } from './helpers/system.js';

interface Problem {
  detail: string;
  path?: string;
  messages: { en: string; 'zh-CN'?: string };
}
interface OperationOutcome {
  issue: { diagnostics: string; details?: { text: string; coding?: { system: string; code: string }[] } }[];
}
const DENIAL_REASONS = 'https://custodia.dev/fhir/CodeSystem/denial-reason';
interface Grant {
  id: string;
  patient: string;
  user: string;
  expiresAt: string;
  active: boolean;
  review?: { outcome: string; by: string };
}
interface VersionSummary {
  version: number;
  status: string;
}

const json = <T>(res: LightMyRequestResponse): T => res.json<T>();

/** What the clinician types when breaking the glass: it must reach the policy tables only. */
const TYPED_REASON = '患者昏迷送入急诊，需要查看既往检验结果 unconscious-on-arrival';

/** One extra forbid on top of the default pack: Observations are withheld from treatment reads. */
const FREEZE_OBSERVATIONS = `
@id("observations-frozen")
@reason("observations-frozen")
@en("Observations are frozen for a record audit; ask the records office.")
@zh("检验观察记录因病历审计暂时冻结；请联系病案室。")
forbid (principal, action in Custodia::Action::"use", resource is Custodia::PatientData)
when { resource.resourceType == "Observation" && context.purpose == "treatment" };
`;

for (const { dialect, skip } of testDialects()) {
  describe(`policies, break-glass and emergencies over HTTP (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    /** Moved forward by hand to expire grants (never by more than the access tokens' 15 minutes). */
    const clock = new AdjustableClock();
    const tokens: Record<string, string> = {};
    let patientId: string;
    let observationId: string;

    const call = (
      who: string | undefined,
      method: string,
      url: string,
      payload?: unknown,
      purpose?: string,
    ) =>
      ts.app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}),
          ...(purpose ? { 'x-purpose-of-use': purpose } : {}),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const created = async (resource: { resourceType: string }) => {
      const res = await ts.app.inject({
        method: 'POST',
        url: `/fhir/${resource.resourceType}`,
        headers: { authorization: `Bearer ${tokens.carer}`, 'content-type': 'application/fhir+json' },
        payload: JSON.stringify(resource),
      });
      assert.equal(res.statusCode, 201, res.body);
      return json<{ id: string }>(res).id;
    };
    const readObservation = (who: string, purpose: string) =>
      call(who, 'GET', `/fhir/Observation/${observationId}`, undefined, purpose);
    const userId = async (username: string) =>
      (await ts.system.directory.findUser(ts.system.tenantId, username))!.id;
    const entries = async (query: { action?: string; actor?: string }): Promise<AuditEntry[]> =>
      (await ts.system.ledger.query({ ...query, limit: 1000 })).entries.map((e) => e.entry);
    const assertProblem = (res: LightMyRequestResponse, status: number, path?: string) => {
      assert.equal(res.statusCode, status, res.body);
      assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
      const p = json<Problem>(res);
      assert.ok(p.messages.en && p.messages['zh-CN'], 'English and Chinese messages');
      if (path !== undefined) assert.equal(p.path, path);
      return p;
    };

    /** A FHIR read refused: 403 with an OperationOutcome in English and Chinese, and its reason code. */
    const assertDenied = (res: LightMyRequestResponse) => {
      assert.equal(res.statusCode, 403, res.body);
      const [issue] = json<OperationOutcome>(res).issue;
      assert.ok(issue?.details?.text, 'a Chinese message beside the English one');
      const code = issue.details.coding?.find((c) => c.system === DENIAL_REASONS)?.code;
      return { en: issue.diagnostics, zh: issue.details.text, code };
    };

    before(async () => {
      ts = await startTestSystem(dialect, { CUSTODIA_CARE_RELATIONSHIP: 'records' }, { clock });
      tokens.carer = await loginAs(ts, 'carer', ['clinician'], 'Hospital A');
      tokens.stranger = await loginAs(ts, 'stranger', ['clinician'], 'Hospital A');
      tokens.locum = await loginAs(ts, 'locum', ['clinician'], 'Hospital A');
      tokens.nurse = await loginAs(ts, 'nurse', ['nurse'], 'Hospital A');
      tokens.privacy = await loginAs(ts, 'privacy', ['privacy-officer'], 'Hospital A');
      tokens.admin = await loginAs(ts, 'admin', ['admin'], 'Hospital A');
      tokens.steward = await loginAs(ts, 'steward', ['data-steward'], 'Hospital A');
      tokens.regulator = await loginAs(ts, 'regulator', ['regulator'], 'Health Commission');
      // The carer is the patient's general practitioner (care relationship from the records);
      // the stranger and the locum are clinicians of the same hospital with none.
      const practitioner = await created({
        resourceType: 'Practitioner',
        identifier: [{ system: 'urn:custodia:practising-licence', value: 'lic-carer' }],
        name: [{ family: '李', given: ['医生'] }],
      } as { resourceType: string });
      patientId = await created({
        resourceType: 'Patient',
        name: [{ family: '王', given: ['芳'] }],
        birthDate: '1961-05-06',
        generalPractitioner: [{ reference: `Practitioner/${practitioner}` }],
      } as { resourceType: string });
      observationId = await created({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
        subject: { reference: `Patient/${patientId}` },
        valueQuantity: { value: 5.4, unit: 'mmol/L' },
      } as { resourceType: string });
    });
    after(async () => ts?.dispose());

    test('who may read and change policies: clean problem+json refusals, routes in OpenAPI', async () => {
      assert.equal((await call(undefined, 'GET', '/policies')).statusCode, 401);
      assertProblem(await call('carer', 'GET', '/policies'), 403);
      assertProblem(await call('steward', 'POST', '/policies', { files: { 'a.cedar': '' } }), 403);
      assertProblem(await call('regulator', 'POST', '/policies/1/activate'), 403);
      for (const who of ['privacy', 'admin', 'regulator', 'steward'])
        assert.equal((await call(who, 'GET', '/policies')).statusCode, 200, who);
      const doc = json<{ paths: Record<string, unknown> }>(await call(undefined, 'GET', '/openapi.json'));
      for (const path of [
        '/policies',
        '/policies/history',
        '/policies/{version}',
        '/policies/{version}/activate',
        '/break-glass',
        '/break-glass/{id}',
        '/break-glass/{id}/review',
        '/emergencies',
        '/emergencies/{id}/end',
      ])
        assert.ok(doc.paths[path], path);
    });

    test('a pack that fails validation is refused with Cedar’s message; version 1 stays in force', async () => {
      const before = json<{ active: number; versions: VersionSummary[] }>(
        await call('privacy', 'GET', '/policies'),
      );
      assert.equal(before.active, 1);
      const bad = await call('privacy', 'POST', '/policies', {
        files: {
          'bad.cedar': '@id("bad")\npermit (principal, action, resource) when { context.noSuchThing == 1 };',
        },
        note: 'broken on purpose',
      });
      const problem = assertProblem(bad, 400);
      assert.match(problem.detail, /bad\.cedar/);
      assert.match(problem.detail, /noSuchThing/);
      assert.match(problem.messages['zh-CN']!, /策略未通过模式校验/);
      const syntax = assertProblem(
        await call('admin', 'POST', '/policies', { files: { 'x.cedar': 'permit (principal' } }),
        400,
      );
      assert.match(syntax.detail, /x\.cedar/);
      assertProblem(await call('admin', 'POST', '/policies', { note: 'no files' }), 400, 'body/files');
      assertProblem(
        await call('admin', 'POST', '/policies', {
          files: { 'notes.txt': 'permit (principal, action, resource);' },
        }),
        400,
        'body/files/notes.txt',
      );
      const after = json<{ active: number; versions: VersionSummary[] }>(
        await call('privacy', 'GET', '/policies'),
      );
      assert.equal(after.active, 1);
      assert.deepEqual(
        after.versions.map((v) => v.version),
        [1],
        'nothing stored',
      );
      assertProblem(await call('privacy', 'GET', '/policies/99'), 404);
      assertProblem(await call('privacy', 'POST', '/policies/99/activate'), 404);
      assertProblem(await call('privacy', 'GET', '/policies/abc'), 400, 'params/version');
    });

    test('break-glass: refused without a care relationship, declared, read under ETREAT and flagged', async () => {
      assert.equal((await readObservation('carer', 'TREAT')).statusCode, 200, 'the carer reads');
      const noCare = assertDenied(await readObservation('stranger', 'TREAT'));
      assert.match(noCare.en, /care relationship/);
      assert.equal(noCare.code, 'no-care-relationship');
      assertDenied(await readObservation('stranger', 'ETREAT'));

      assertProblem(
        await call('stranger', 'POST', '/break-glass', { patient: patientId }),
        400,
        'body/reason',
      );
      assertProblem(
        await call('stranger', 'POST', '/break-glass', { patient: patientId, reason: '急' }),
        400,
        'reason',
      );
      assert.deepEqual(
        await entries({ action: 'Patient.exists', actor: await userId('stranger') }),
        [],
        'a request refused for its reason looks nobody up',
      );
      for (const minutes of [0, -5, 1.5, 0.002, 24 * 60 + 1]) {
        const refused = assertProblem(
          await call('stranger', 'POST', '/break-glass', {
            patient: patientId,
            reason: TYPED_REASON,
            minutes,
          }),
          400,
          'body/minutes',
        );
        assert.match(refused.messages.en, /whole number of minutes from 1 to 1440/, String(minutes));
        assert.match(refused.messages['zh-CN']!, /整数分钟/);
      }
      assertProblem(
        await call('stranger', 'POST', '/break-glass', {
          patient: 'a b',
          reason: TYPED_REASON,
          minutes: 1.5,
        }),
        400,
        'body/patient',
      );
      assertProblem(
        await call('stranger', 'POST', '/break-glass', { patient: 'a b', reason: TYPED_REASON }),
        400,
        'body/patient',
      );
      assertProblem(
        await call('privacy', 'POST', '/break-glass', { patient: patientId, reason: TYPED_REASON }),
        403,
      );

      // A patient nobody has (or whose record was deleted): 404, nothing granted, the lookup recorded.
      const unknown = assertProblem(
        await call('stranger', 'POST', '/break-glass', { patient: 'no-such-patient', reason: TYPED_REASON }),
        404,
      );
      assert.match(unknown.messages.en, /Patient\/no-such-patient does not exist/);
      assert.match(unknown.messages['zh-CN']!, /患者 Patient\/no-such-patient 不存在/);
      const zh = await ts.app.inject({
        method: 'POST',
        url: '/break-glass',
        headers: {
          authorization: `Bearer ${tokens.stranger}`,
          'accept-language': 'zh-CN',
          'content-type': 'application/json',
        },
        payload: JSON.stringify({ patient: 'no-such-patient', reason: TYPED_REASON }),
      });
      assert.match(assertProblem(zh, 404).detail, /不存在/);
      const gone = await created({ resourceType: 'Patient', name: [{ family: '赵' }] } as {
        resourceType: string;
      });
      const deleted = await ts.app.inject({
        method: 'DELETE',
        url: `/fhir/Patient/${gone}`,
        headers: { authorization: `Bearer ${tokens.carer}`, 'x-purpose-of-use': 'TREAT' },
      });
      assert.ok([200, 204].includes(deleted.statusCode), deleted.body);
      assert.match(
        assertProblem(
          await call('stranger', 'POST', '/break-glass', { patient: gone, reason: TYPED_REASON }),
          404,
        ).messages.en,
        /was deleted/,
      );
      const stranger = await userId('stranger');
      const refusedLookups = (await entries({ action: 'Patient.exists', actor: stranger })).filter(
        (e) => e.decision === 'deny',
      );
      assert.equal(refusedLookups.length, 3);
      for (const e of refusedLookups) {
        assert.equal(e.reason, 'unknown-patient');
        assert.deepEqual(e.targets, [], 'the typed id names nobody in the ledger');
      }
      assert.deepEqual(await entries({ action: 'break-glass.declare' }), [], 'nothing granted');

      const declared = await call('stranger', 'POST', '/break-glass', {
        patient: patientId,
        reason: TYPED_REASON,
        minutes: 60,
      });
      assert.equal(declared.statusCode, 201, declared.body);
      const grant = json<Grant>(declared);
      assert.equal(grant.patient, patientId);
      assert.equal(declared.headers.location, `/break-glass/${grant.id}`);
      const expiresIn = Date.parse(grant.expiresAt) - clock.now();
      assert.ok(expiresIn > 59 * 60_000 && expiresIn <= 60 * 60_000, `expires in an hour (${expiresIn} ms)`);

      const read = await readObservation('stranger', 'ETREAT');
      assert.equal(read.statusCode, 200, read.body);
      assertDenied(await readObservation('stranger', 'TREAT'));
      const reads = await entries({ action: 'Observation.read', actor: await userId('stranger') });
      const last = reads.filter((e) => e.decision === 'permit').at(-1)!;
      assert.deepEqual(last.flags, ['break-glass']);
      const carerReads = await entries({ action: 'Observation.read', actor: await userId('carer') });
      assert.equal(carerReads.at(-1)!.flags, undefined, 'a read under care is not flagged');

      const lookup = (await entries({ action: 'Patient.exists', actor: stranger })).at(-1)!;
      assert.equal(lookup.kind, 'read', 'the existence check, recorded by guard');
      assert.deepEqual(lookup.targets, [ts.system.guard.patientToken(patientId)]);
      assert.deepEqual(lookup.resources, [`Patient/${patientId}`]);

      const declaredEntries = await entries({ action: 'break-glass.declare' });
      assert.equal(declaredEntries.length, 1);
      assert.equal(declaredEntries[0]!.kind, 'break-glass');
      assert.equal(declaredEntries[0]!.actor, await userId('stranger'));
      assert.match(declaredEntries[0]!.reason ?? '', new RegExp(grant.id));
    });

    test('the privacy officer reviews grants: listed oldest first until reviewed, once', async () => {
      const queue = async () =>
        json<{ grants: Grant[] }>(await call('privacy', 'GET', '/break-glass')).grants;
      const [grant] = await queue();
      assert.ok(grant, 'the grant awaits review');
      assert.equal(grant.user, await userId('stranger'));
      assertProblem(await call('stranger', 'GET', '/break-glass'), 403);
      assert.equal((await call('stranger', 'GET', `/break-glass/${grant.id}`)).statusCode, 200, 'their own');
      assertProblem(await call('carer', 'GET', `/break-glass/${grant.id}`), 403);
      assertProblem(await call('privacy', 'GET', '/break-glass/no-such-grant'), 404);

      const review = (who: string, id: string, body: unknown) =>
        call(who, 'POST', `/break-glass/${id}/review`, body);
      assertProblem(await review('stranger', grant.id, { outcome: 'justified', note: 'mine' }), 403);
      assertProblem(await review('privacy', grant.id, { outcome: 'maybe', note: 'x' }), 400, 'body/outcome');
      assertProblem(await review('privacy', grant.id, { outcome: 'justified' }), 400, 'body/note');
      assertProblem(await review('privacy', 'no-such-grant', { outcome: 'justified', note: 'x' }), 404);
      const done = await review('privacy', grant.id, { outcome: 'justified', note: '急诊记录证实患者昏迷' });
      assert.equal(done.statusCode, 200, done.body);
      assert.equal(json<Grant>(done).review?.outcome, 'justified');
      assert.deepEqual(await queue(), [], 'no longer awaiting review');
      assertProblem(await review('privacy', grant.id, { outcome: 'unjustified', note: 'again' }), 409);
      const reviewed = await entries({ action: 'break-glass.review' });
      assert.equal(reviewed.length, 1);
      assert.equal(reviewed[0]!.actor, await userId('privacy'));
    });

    test('an expired grant is refused as expired', async () => {
      const declared = await call('locum', 'POST', '/break-glass', {
        patient: patientId,
        reason: TYPED_REASON,
        minutes: 1,
      });
      assert.equal(declared.statusCode, 201, declared.body);
      assert.equal(json<Grant>(declared).active, true);
      assert.equal((await readObservation('locum', 'ETREAT')).statusCode, 200, 'read while it lasts');
      clock.advance(60_000);
      const expired = assertDenied(await readObservation('locum', 'ETREAT'));
      assert.match(expired.en, /expired/);
      assert.equal(expired.code, 'break-glass-expired');
      const denials = await entries({ action: 'Observation.read', actor: await userId('locum') });
      assert.equal(denials.at(-1)!.reason, 'break-glass-expired');
      assert.equal(
        json<Grant>(await call('locum', 'GET', `/break-glass/${json<Grant>(declared).id}`)).active,
        false,
      );
    });

    test('the reason a clinician typed is in neither the ledger nor the logs', async () => {
      for (let i = 0; i < ts.system.ledger.size; i++) {
        const { entry } = await ts.system.ledger.get(i);
        assert.ok(!JSON.stringify(entry).includes('unconscious-on-arrival'), `ledger entry ${i}`);
      }
      assert.ok(!ts.logs.text.includes('unconscious-on-arrival'));
    });

    test('emergencies: regulators declare, everyone sees them in force, regulators end them', async () => {
      const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString();
      const scope = {
        reason: 'H7N9 疫情',
        categories: ['health-status', 'public-health'],
        regions: ['42'],
        endsAt: inAWeek,
      };
      assertProblem(await call('carer', 'POST', '/emergencies', scope), 403);
      assertProblem(await call('privacy', 'POST', '/emergencies', scope), 403);
      assertProblem(
        await call('regulator', 'POST', '/emergencies', { ...scope, regions: ['4'] }),
        400,
        'body/regions/0',
      );
      assertProblem(
        await call('regulator', 'POST', '/emergencies', { ...scope, categories: ['gossip'] }),
        400,
        'body/categories/0',
      );
      assertProblem(
        await call('regulator', 'POST', '/emergencies', { ...scope, purposes: ['XYZ'] }),
        400,
        'body/purposes/0',
      );
      assertProblem(
        await call('regulator', 'POST', '/emergencies', { ...scope, endsAt: '2020-01-01T00:00:00Z' }),
        400,
        'body/endsAt',
      );
      assertProblem(
        await call('regulator', 'POST', '/emergencies', { ...scope, endsAt: 'soon' }),
        400,
        'body/endsAt',
      );

      const declared = await call('regulator', 'POST', '/emergencies', {
        ...scope,
        purposes: ['public-health-emergency'],
      });
      assert.equal(declared.statusCode, 201, declared.body);
      const { id } = json<{ id: string }>(declared);
      const active = async () =>
        json<{ emergencies: { id: string; regions: string[] }[] }>(await call('carer', 'GET', '/emergencies'))
          .emergencies;
      assert.deepEqual(
        (await active()).map((e) => [e.id, e.regions]),
        [[id, ['42']]],
      );
      assertProblem(await call('privacy', 'POST', `/emergencies/${id}/end`), 403);
      assertProblem(await call('regulator', 'POST', '/emergencies/no-such-emergency/end'), 404);
      const ended = await call('regulator', 'POST', `/emergencies/${id}/end`);
      assert.equal(ended.statusCode, 200, ended.body);
      assert.deepEqual(await active(), []);
      assertProblem(await call('regulator', 'POST', `/emergencies/${id}/end`), 409);
      assert.equal((await entries({ action: 'emergency.declare' })).length, 1);
      assert.equal((await entries({ action: 'emergency.end' })).length, 1);

      // As many counties as the schema allows: too many to list in the ledger entry, which names
      // them by count and digest instead.
      const counties = Array.from({ length: 500 }, (_, i) => `42${String(i).padStart(4, '0')}`);
      const wide = await call('regulator', 'POST', '/emergencies', { ...scope, regions: counties });
      assert.equal(wide.statusCode, 201, wide.body);
      const last = (await entries({ action: 'emergency.declare' })).at(-1)!;
      assert.match(last.reason ?? '', /regions 500 codes, sha256:[0-9a-f]{64}$/);
      const widened = await call('regulator', 'POST', `/emergencies/${json<{ id: string }>(wide).id}/end`);
      assert.equal(widened.statusCode, 200, widened.body);
    });

    // Last: the new forbid withholds Observations from treatment reads for the rest of the suite.
    test('a proposed pack with one more forbid, once activated, denies a read it permitted', async () => {
      assert.equal((await readObservation('carer', 'TREAT')).statusCode, 200);
      const current = json<{ files: Record<string, string> }>(await call('privacy', 'GET', '/policies/1'));
      assert.ok(current.files['access.cedar']);
      const proposed = await call('privacy', 'POST', '/policies', {
        files: { ...current.files, 'audit-freeze.cedar': FREEZE_OBSERVATIONS },
        note: '病历审计期间冻结检验结果',
      });
      assert.equal(proposed.statusCode, 201, proposed.body);
      const version = json<VersionSummary>(proposed);
      assert.equal(version.status, 'proposed');
      assert.equal(proposed.headers.location, `/policies/${version.version}`);
      assert.equal((await readObservation('carer', 'TREAT')).statusCode, 200, 'a proposal is not in force');

      const activated = await call('admin', 'POST', `/policies/${version.version}/activate`);
      assert.equal(activated.statusCode, 200, activated.body);
      assert.equal(json<VersionSummary>(activated).status, 'active');
      const denied = assertDenied(await readObservation('carer', 'TREAT'));
      assert.match(denied.en, /frozen for a record audit/);
      assert.match(denied.zh, /病历审计/);
      assert.equal(denied.code, 'observations-frozen', 'a forbid’s own @reason is the code');
      const reads = await entries({ action: 'Observation.read', actor: await userId('carer') });
      assert.equal(reads.at(-1)!.reason, 'observations-frozen');

      const list = json<{ active: number; versions: VersionSummary[] }>(
        await call('regulator', 'GET', '/policies'),
      );
      assert.equal(list.active, version.version);
      assert.deepEqual(
        list.versions.map((v) => [v.version, v.status]),
        [
          [version.version, 'active'],
          [1, 'superseded'],
        ],
      );
      assertProblem(await call('admin', 'POST', `/policies/${version.version}/activate`), 409);
      const history = json<{ changes: { version: number; action: string; by: string }[] }>(
        await call('privacy', 'GET', '/policies/history'),
      );
      assert.deepEqual(
        history.changes.map((c) => [c.version, c.action]),
        [
          [1, 'activate'],
          [version.version, 'propose'],
          [version.version, 'activate'],
        ],
      );
      assert.equal((await entries({ action: 'policy.propose' })).length, 1);
      assert.deepEqual(
        (await entries({ action: 'policy.activate' })).map((e) => [e.actor, e.kind]),
        [
          ['system:policy', 'policy-change'],
          [await userId('admin'), 'policy-change'],
        ],
      );
    });

    test('a change the ledger cannot record is not made: the API answers 500 and nothing changes', async () => {
      tokens.oncall = await loginAs(ts, 'oncall', ['clinician'], 'Hospital A');
      const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString();
      const scope = { reason: '疫情', categories: ['public-health'], regions: ['4201'], endsAt: inAWeek };
      const ledger = ts.system.ledger as { append: unknown };
      const failing = async () => {
        throw new Error('the ledger cannot append (disk full)');
      };
      const withoutLedger = async <T>(work: () => Promise<T>): Promise<T> => {
        ledger.append = failing;
        try {
          return await work();
        } finally {
          delete ledger.append; // back to Ledger.prototype.append
        }
      };
      const policiesNow = async () =>
        json<{ active: number; versions: VersionSummary[] }>(await call('privacy', 'GET', '/policies'));
      const patientUnderEtreat = () =>
        call('oncall', 'GET', `/fhir/Patient/${patientId}`, undefined, 'ETREAT');
      const before = await policiesNow();
      const { files } = json<{ files: Record<string, string> }>(
        await call('privacy', 'GET', `/policies/${before.active}`),
      );
      const proposed = json<VersionSummary>(await call('privacy', 'POST', '/policies', { files }));
      const declared = await call('regulator', 'POST', '/emergencies', scope);
      assert.equal(declared.statusCode, 201, declared.body);
      const emergency = json<{ id: string }>(declared).id;
      assertDenied(await patientUnderEtreat());
      const ledgerSize = ts.system.ledger.size;

      await withoutLedger(async () => {
        assertProblem(await call('privacy', 'POST', '/policies', { files, note: 'unrecorded' }), 500);
        assertProblem(await call('admin', 'POST', `/policies/${proposed.version}/activate`), 500);
        assertProblem(
          await call('oncall', 'POST', '/break-glass', { patient: patientId, reason: TYPED_REASON }),
          500,
        );
        assertProblem(await call('regulator', 'POST', '/emergencies', { ...scope, regions: ['11'] }), 500);
        assertProblem(await call('regulator', 'POST', `/emergencies/${emergency}/end`), 500);
      });

      assert.equal(ts.system.ledger.size, ledgerSize, 'nothing reached the ledger');
      const after = await policiesNow();
      assert.equal(after.active, before.active, 'the version in force stays in force');
      assert.deepEqual(
        after.versions.map((v) => [v.version, v.status]),
        [[proposed.version, 'proposed'], ...before.versions.map((v) => [v.version, v.status])],
        'no version stored, none activated',
      );
      const grants = json<{ grants: Grant[] }>(await call('privacy', 'GET', '/break-glass')).grants;
      const oncall = await userId('oncall');
      assert.ok(!grants.some((g) => g.user === oncall), 'no grant stored');
      assertDenied(await patientUnderEtreat());
      const emergencies = json<{ emergencies: { id: string; regions: string[] }[] }>(
        await call('carer', 'GET', '/emergencies'),
      ).emergencies;
      assert.deepEqual(
        emergencies.map((e) => [e.id, e.regions]),
        [[emergency, ['4201']]],
        'the declaration stands, not ended, and none was added',
      );
      assert.ok(!ts.logs.text.includes('unconscious-on-arrival'), 'the typed reason is not logged');

      // With the ledger back, the same changes go through and are recorded.
      assert.equal((await call('regulator', 'POST', `/emergencies/${emergency}/end`)).statusCode, 200);
      assert.equal((await entries({ action: 'emergency.end' })).length, 3, 'the earlier two and this one');
    });
  });
}
