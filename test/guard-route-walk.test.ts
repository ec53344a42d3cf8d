/**
 * guard is the only path to data: this walks every route the server registers (as its OpenAPI
 * document lists them), calls each one as several kinds of user, and proves that nothing reaches
 * the clinical store's reads, writes or decryption except from inside a guard call. A direct
 * store call outside guard is caught (the control), and the routes known to serve data are seen
 * touching the store (so the walk really exercises them).
 */
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { after, before, describe, test } from 'node:test';
import type { Guard } from '../src/guard/index.js';
import type { Records } from '../src/records/index.js';
import { generateRegion } from '../src/synth/index.js';
import { testDialects } from '../src/store/testing.js';
import { loginAs, startTestSystem, TEST_PASSWORD, type TestSystem } from './helpers/system.js';

/** The store's methods that read, decrypt or change clinical data. */
const STORE_METHODS = [
  'current',
  'version',
  'history',
  'search',
  'compartment',
  'open',
  'linkedPatients',
  'lookupCodesOf',
  'sourceIdOf',
  'create',
  'update',
  'delete',
  'prepare',
  'erasePatient',
  'rotateKeys',
] as const satisfies readonly (keyof Records)[];

/** Guard's public surface: while one of these runs, store calls are guard's own. */
const GUARD_METHODS = [
  'read',
  'history',
  'search',
  'everything',
  'linkedPatients',
  'confirmPatient',
  'create',
  'update',
  'delete',
  'bundle',
  'import',
  'erasePatient',
  'rotateKeys',
  'relabel',
] as const satisfies readonly (keyof Guard)[];

/** Routes that answer without a login, on purpose. */
const PUBLIC_ROUTES = new Set([
  'GET /health',
  'GET /health/ready',
  'GET /fhir/metadata',
  'POST /auth/token',
  'POST /auth/refresh',
  'GET /ledger',
  'GET /ledger/checkpoint',
  'GET /ledger/checkpoint/agreed',
  'GET /ledger/checkpoints/{size}',
  'GET /ledger/consistency',
  'POST /ledger/checkpoints/check',
  'POST /ledger/cosign',
  'POST /ledger/witness/add-checkpoint',
  'GET /consents/receipt-keys',
  'POST /consents/receipts/verify',
]);

interface Touch {
  method: string;
  inGuard: boolean;
  route: string | undefined;
}

/** The route being walked (one request at a time; the inject machinery does not carry async context). */
const walking: { route: string | undefined } = { route: undefined };

/** Wraps the instance's methods so that each store call is noted with whether guard made it. */
function instrument(ts: TestSystem) {
  const inGuard = new AsyncLocalStorage<true>();
  const touches: Touch[] = [];
  const records = ts.system.records as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of STORE_METHODS) {
    const original = records[name]!.bind(records);
    records[name] = (...args: unknown[]) => {
      touches.push({ method: name, inGuard: inGuard.getStore() === true, route: walking.route });
      return original(...args);
    };
  }
  const guard = ts.system.guard as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of GUARD_METHODS) {
    const original = guard[name]!.bind(guard);
    guard[name] = (...args: unknown[]) => inGuard.run(true, () => original(...args));
  }
  return touches;
}

interface Route {
  method: string;
  path: string;
}

/** Every operation of the OpenAPI document. */
function routesOf(ts: TestSystem): Route[] {
  const doc = ts.app.swagger() as { paths: Record<string, Record<string, unknown>> };
  const out: Route[] = [];
  for (const [path, operations] of Object.entries(doc.paths))
    for (const method of Object.keys(operations))
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method))
        out.push({ method: method.toUpperCase(), path });
  // Reads first, deletions last: an erasure halfway would leave later routes nothing to serve.
  const order = (r: Route) =>
    ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].indexOf(r.method) + (/erase/.test(r.path) ? 10 : 0);
  return out.sort((a, b) => order(a) - order(b) || a.path.localeCompare(b.path));
}

for (const { dialect, skip } of testDialects()) {
  describe(`every route to data passes guard (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    let patientId: string;
    let tokens: Record<string, string>;
    let touches: Touch[];

    before(async () => {
      ts = await startTestSystem(dialect);
      tokens = {
        clinician: await loginAs(ts, 'walk-clinician', ['clinician'], 'Walk Hospital'),
        steward: await loginAs(ts, 'walk-steward', ['data-steward'], 'Walk Hospital', { purpose: 'HOPERAT' }),
        admin: await loginAs(ts, 'walk-admin', ['admin', 'privacy-officer'], 'Walk Hospital'),
        regulator: await loginAs(ts, 'walk-regulator', ['regulator'], 'Walk Regulator', {
          purpose: 'HRESCH',
        }),
      };
      const region = generateRegion({
        seed: 'route-walk',
        patients: 3,
        sharedFraction: 0,
        hospitals: [{ id: 'w', name: 'Walk Hospital', nameZh: '巡检医院', divisionCode: '110105' }],
      });
      const hospital = region.hospitals[0]!;
      for (const bundle of [hospital.directoryBundle, ...hospital.bundles]) {
        const res = await ts.app.inject({
          method: 'POST',
          url: '/fhir',
          headers: { authorization: `Bearer ${tokens.clinician}`, 'content-type': 'application/fhir+json' },
          payload: JSON.stringify(bundle),
        });
        assert.equal(res.statusCode, 200, res.body);
      }
      const search = await ts.app.inject({
        url: '/fhir/Patient?_count=1',
        headers: { authorization: `Bearer ${tokens.clinician}` },
      });
      patientId = (search.json() as { entry: { resource: { id: string } }[] }).entry[0]!.resource.id;
      const org = await ts.system.directory.findOrganizationByName(ts.system.tenantId, 'Walk Hospital');
      await ts.system.directory.createUser(ts.system.tenantId, {
        username: 'walk-patient',
        orgId: org!.id,
        roles: ['patient'],
        password: TEST_PASSWORD,
        patientRef: `Patient/${patientId}`,
      });
      tokens.patient = await loginAs(ts, 'walk-patient', ['patient'], 'Walk Hospital');
      touches = instrument(ts);
    });
    after(() => ts?.dispose());

    test('a store call outside guard is caught (the control)', async () => {
      const before = touches.length;
      await ts.system.records.current('Patient', patientId);
      assert.deepEqual(touches.slice(before), [{ method: 'current', inGuard: false, route: undefined }]);
      touches.length = before;
    });

    test('no route reaches the store except through guard', async () => {
      const routes = routesOf(ts);
      assert.ok(routes.length > 40, `the walk found only ${routes.length} routes`);
      const fill = (path: string) =>
        path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
          name === 'type'
            ? 'Patient'
            : name === 'id' || name === 'patient'
              ? patientId
              : name === 'version' || name === 'vid' || name === 'size'
                ? '1'
                : 'x',
        );
      const unauthenticated: string[] = [];
      for (const r of routes) {
        const url = fill(r.path);
        const body = ['POST', 'PUT', 'PATCH'].includes(r.method) ? { payload: {} } : {};
        walking.route = `${r.method} ${r.path}`;
        const anonymous = await ts.app.inject({ method: r.method as 'GET', url, ...body });
        if (anonymous.statusCode !== 401)
          unauthenticated.push(`${r.method} ${r.path} → ${anonymous.statusCode}`);
        for (const token of Object.values(tokens))
          await ts.app.inject({
            method: r.method as 'GET',
            url,
            headers: { authorization: `Bearer ${token}` },
            ...body,
          });
      }
      walking.route = undefined;
      const outside = touches.filter((t) => !t.inGuard).map((t) => `${t.route}: records.${t.method}`);
      assert.deepEqual([...new Set(outside)], [], 'store calls made outside guard');
      const served = new Set(touches.map((t) => t.route));
      for (const dataRoute of [
        'GET /fhir/{type}/{id}',
        'GET /fhir/{type}',
        'GET /fhir/Patient/{id}/$everything',
        'GET /fhir/{type}/{id}/_history',
        'GET /portal/records',
      ])
        assert.ok(
          served.has(dataRoute),
          `${dataRoute} never reached the store: the walk did not exercise it`,
        );
      // Only what anyone may see answers without a login: health, the capability statement,
      // login, and what outside verifiers need (signed checkpoints, proofs, receipt keys).
      assert.deepEqual(
        unauthenticated.map((u) => u.slice(0, u.indexOf(' →'))).filter((u) => !PUBLIC_ROUTES.has(u)),
        [],
      );
    });

    test('a break-glass declaration asks guard whether the patient exists', async () => {
      // A new login: the walk above has signed its users out.
      const clinician = await loginAs(ts, 'walk-oncall', ['clinician'], 'Walk Hospital');
      const before = touches.length;
      walking.route = 'POST /break-glass';
      const res = await ts.app.inject({
        method: 'POST',
        url: '/break-glass',
        headers: { authorization: `Bearer ${clinician}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ patient: patientId, reason: 'unconscious on arrival', minutes: 5 }),
      });
      walking.route = undefined;
      assert.equal(res.statusCode, 201, res.body);
      assert.deepEqual(
        touches.slice(before).map((t) => [t.method, t.inGuard]),
        [['current', true]],
        'one look at the stored version, from inside guard; nothing opened',
      );
    });
  });
}
