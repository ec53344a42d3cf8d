import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testDialects } from '../src/store/testing.js';
import { loginAs, startTestSystem, TEST_PASSWORD } from './helpers/system.js';

for (const { dialect, skip } of testDialects()) {
  describe(`HTTP API foundation on ${dialect}`, { skip }, () => {
    test('health and readiness answer without a login', async () => {
      const ts = await startTestSystem(dialect);
      try {
        const live = await ts.app.inject('/health');
        assert.equal(live.statusCode, 200);
        assert.equal(live.json().status, 'ok');
        const ready = await ts.app.inject('/health/ready');
        assert.equal(ready.statusCode, 200);
        assert.equal(ready.json().database, dialect);
      } finally {
        await ts.dispose();
      }
    });

    test('login returns the token pair in the documented shape, and the token works', async () => {
      const ts = await startTestSystem(dialect);
      try {
        const token = await loginAs(ts, 'alice', ['clinician']);
        const me = await ts.app.inject({
          url: '/auth/me',
          headers: { authorization: `Bearer ${token}`, 'x-purpose-of-use': 'TREAT' },
        });
        assert.equal(me.statusCode, 200);
        assert.equal(me.json().username, 'alice');
        assert.equal(me.json().purposeOfUse, 'TREAT');
        const res = await ts.app.inject({
          method: 'POST',
          url: '/auth/token',
          payload: { username: 'alice', password: TEST_PASSWORD },
        });
        const body = res.json();
        assert.deepEqual(Object.keys(body).sort(), [
          'access_token',
          'expires_in',
          'refresh_token',
          'token_type',
        ]);
        assert.equal(res.headers['cache-control'], 'no-store');
      } finally {
        await ts.dispose();
      }
    });

    test('wrong password and unknown user: the same 401 problem', async () => {
      const ts = await startTestSystem(dialect);
      try {
        await loginAs(ts, 'bob', ['nurse']);
        const a = await ts.app.inject({
          method: 'POST',
          url: '/auth/token',
          payload: { username: 'bob', password: 'not-the-password' },
        });
        const b = await ts.app.inject({
          method: 'POST',
          url: '/auth/token',
          payload: { username: 'nobody', password: 'not-the-password' },
        });
        assert.equal(a.statusCode, 401);
        assert.equal(b.statusCode, 401);
        assert.equal(a.headers['content-type'], 'application/problem+json; charset=utf-8');
        const strip = (x: Record<string, unknown>) => ({ ...x, requestId: undefined });
        assert.deepEqual(strip(a.json()), strip(b.json()));
      } finally {
        await ts.dispose();
      }
    });

    test('malformed JSON, schema violations and oversize bodies get problem+json', async () => {
      const ts = await startTestSystem(dialect, { CUSTODIA_BODY_LIMIT: '2048' });
      try {
        const bad = await ts.app.inject({
          method: 'POST',
          url: '/auth/token',
          headers: { 'content-type': 'application/json' },
          payload: '{"username": ',
        });
        assert.equal(bad.statusCode, 400);
        assert.match(bad.json().detail, /not valid JSON/);
        const missing = await ts.app.inject({
          method: 'POST',
          url: '/auth/token',
          payload: { username: 'x' },
        });
        assert.equal(missing.statusCode, 400);
        assert.equal(missing.json().path, 'body/password');
        const big = await ts.app.inject({
          method: 'POST',
          url: '/auth/token',
          payload: { username: 'x', password: 'y'.repeat(4000) },
        });
        assert.equal(big.statusCode, 413);
        const zh = await ts.app.inject({
          method: 'POST',
          url: '/auth/token',
          headers: { 'content-type': 'application/json', 'accept-language': 'zh-CN' },
          payload: '{',
        });
        assert.equal(zh.json().detail, '请求体不是有效的 JSON');
      } finally {
        await ts.dispose();
      }
    });

    test('routes need authentication by default, and admin routes need the admin role', async () => {
      const ts = await startTestSystem(dialect);
      try {
        const anon = await ts.app.inject('/admin/organizations');
        assert.equal(anon.statusCode, 401);
        assert.match(String(anon.headers['www-authenticate']), /Bearer/);
        const nurse = await loginAs(ts, 'nina', ['nurse']);
        const denied = await ts.app.inject({
          url: '/admin/organizations',
          headers: { authorization: `Bearer ${nurse}` },
        });
        assert.equal(denied.statusCode, 403);
        const admin = await loginAs(ts, 'root', ['admin']);
        const created = await ts.app.inject({
          method: 'POST',
          url: '/admin/organizations',
          headers: { authorization: `Bearer ${admin}` },
          payload: { name: 'Second Hospital', nameZh: '第二医院', type: 'hospital', divisionCode: '310104' },
        });
        assert.equal(created.statusCode, 201);
        const list = await ts.app.inject({
          url: '/admin/organizations',
          headers: { authorization: `Bearer ${admin}` },
        });
        assert.ok((list.json() as { name: string }[]).some((o) => o.name === 'Second Hospital'));
      } finally {
        await ts.dispose();
      }
    });

    test('service accounts use API keys; logout revokes the token', async () => {
      const ts = await startTestSystem(dialect);
      try {
        const admin = await loginAs(ts, 'root', ['admin']);
        const orgs = (
          await ts.app.inject({ url: '/admin/organizations', headers: { authorization: `Bearer ${admin}` } })
        ).json() as { id: string }[];
        const svc = await ts.app.inject({
          method: 'POST',
          url: '/admin/users',
          headers: { authorization: `Bearer ${admin}` },
          payload: { username: 'node-1', kind: 'service', orgId: orgs[0]!.id, roles: ['data-steward'] },
        });
        assert.equal(svc.statusCode, 201);
        const key = await ts.app.inject({
          method: 'POST',
          url: `/admin/users/${svc.json().id}/api-keys`,
          headers: { authorization: `Bearer ${admin}` },
          payload: { name: 'ci' },
        });
        const apiKey = key.json().key as string;
        const me = await ts.app.inject({ url: '/auth/me', headers: { authorization: `ApiKey ${apiKey}` } });
        assert.equal(me.json().username, 'node-1');
        const viaHeader = await ts.app.inject({ url: '/auth/me', headers: { 'x-api-key': apiKey } });
        assert.equal(viaHeader.statusCode, 200);
        const out = await ts.app.inject({
          method: 'POST',
          url: '/auth/revoke',
          headers: { authorization: `Bearer ${admin}` },
          payload: {},
        });
        assert.equal(out.statusCode, 204);
        assert.equal(
          (await ts.app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${admin}` } }))
            .statusCode,
          401,
        );
      } finally {
        await ts.dispose();
      }
    });

    test('errors under /fhir are OperationOutcomes', async () => {
      const ts = await startTestSystem(dialect);
      try {
        // Unauthenticated: the auth hook answers before any route, as an OperationOutcome too.
        const res = await ts.app.inject('/fhir/Nothing/1');
        assert.equal(res.statusCode, 401);
        assert.match(String(res.headers['content-type']), /application\/fhir\+json/);
        assert.equal(res.json().resourceType, 'OperationOutcome');
        assert.equal(res.json().issue[0].code, 'login');
      } finally {
        await ts.dispose();
      }
    });

    test('security headers, request ids, the OpenAPI document and the reference page', async () => {
      const ts = await startTestSystem(dialect);
      try {
        const res = await ts.app.inject({ url: '/health', headers: { 'x-request-id': 'trace-abc-12345' } });
        assert.equal(res.headers['x-request-id'], 'trace-abc-12345');
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
        assert.match(String(res.headers['strict-transport-security']), /max-age=/);
        assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
        const spoofed = await ts.app.inject({
          url: '/health',
          headers: { 'x-request-id': 'bad id with spaces\n' },
        });
        assert.notEqual(spoofed.headers['x-request-id'], 'bad id with spaces\n');
        const doc = await ts.app.inject('/openapi.json');
        assert.equal(doc.statusCode, 200);
        assert.equal(doc.json().openapi, '3.1.0');
        assert.ok(doc.json().paths['/auth/token']);
        const page = await ts.app.inject('/docs/');
        assert.equal(page.statusCode, 200);
        assert.match(page.body, /swagger/i);
      } finally {
        await ts.dispose();
      }
    });

    test('logs hold neither passwords, tokens nor query strings', async () => {
      const ts = await startTestSystem(dialect);
      try {
        const token = await loginAs(ts, 'carol', ['clinician']);
        await ts.app.inject({
          method: 'POST',
          url: '/auth/token',
          payload: { username: 'carol', password: 'Wrong-Password-Sentinel' },
        });
        await ts.app.inject({
          url: '/auth/me?identifier=110101199003071234',
          headers: { authorization: `Bearer ${token}` },
        });
        await ts.app.inject({ url: '/nowhere?phone=13812345678' });
        const text = ts.logs.text;
        assert.ok(ts.logs.lines.length > 3);
        for (const secret of [
          TEST_PASSWORD,
          'Wrong-Password-Sentinel',
          token,
          token.split('.')[2]!,
          '110101199003071234',
          '13812345678',
        ]) {
          assert.ok(!text.includes(secret), `log contains ${secret.slice(0, 12)}…`);
        }
      } finally {
        await ts.dispose();
      }
    });
  });
}
