// The demo's logins work as the README says: demo-clinician and demo-nurse treat the demo patient
// and some others of hospital 1 today (care relationships from the records, in their time window,
// although the generated visits lie in the generator's past).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedDemo } from '../src/app/index.js';
import { startTestSystem, type TestSystem } from './helpers/system.js';

const PASSWORD = 'demo-password-0123';

describe('the demo region (sqlite)', () => {
  let ts: TestSystem;

  const login = async (username: string) => {
    const res = await ts.app.inject({
      method: 'POST',
      url: '/auth/token',
      payload: { username, password: PASSWORD, purpose_of_use: 'TREAT' },
    });
    assert.equal(res.statusCode, 200, res.body);
    return (res.json() as { access_token: string }).access_token;
  };
  const get = (token: string, url: string) =>
    ts.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

  before(async () => {
    ts = await startTestSystem('sqlite', {
      CUSTODIA_CARE_RELATIONSHIP: 'records',
      CUSTODIA_DEMO_PASSWORD: PASSWORD,
    });
    await seedDemo(ts.system);
  });
  after(() => ts?.dispose());

  for (const username of ['demo-clinician', 'demo-nurse']) {
    test(`${username} treats the demo patient and some other patients now`, async () => {
      const token = await login(username);
      const demoPatient = (await ts.system.directory.findUser(ts.system.tenantId, 'demo-patient'))!
        .patientRef!;
      assert.equal((await get(token, `/fhir/${demoPatient}`)).statusCode, 200);
      const page = await get(token, '/fhir/Patient?_count=100');
      assert.equal(page.statusCode, 200, page.body);
      const seen = ((page.json() as { entry?: unknown[] }).entry ?? []).length;
      assert.ok(seen >= 2, `${username} sees ${seen} patients`);
    });
  }
});
