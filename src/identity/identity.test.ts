import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { CustodiaError, ManualClock, type TenantId } from '../core/index.js';
import { openTestStore, testDialects } from '../store/testing.js';
import { AccessTokens, Authenticator, Directory, identityMigrations, type LoginOutcome } from './index.js';

const TENANT = 'test' as TenantId;
const PASSWORD = 'correct horse battery';

async function setup(dialect: 'sqlite' | 'postgres') {
  const t = await openTestStore(dialect, identityMigrations);
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 9));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const tokens = new AccessTokens({ kid: 'k1', privateKey, publicKey }, 'custodia-test', 900, clock);
  const directory = new Directory(t.store, clock);
  const logins: LoginOutcome[] = [];
  const auth = new Authenticator(t.store, directory, tokens, clock, {
    refreshTtlSeconds: 86_400,
    onLogin: async (_tenant, o) => {
      logins.push(o);
    },
  });
  const org = await directory.createOrganization(TENANT, {
    name: 'First Hospital',
    nameZh: '第一医院',
    type: 'hospital',
  });
  const user = await directory.createUser(TENANT, {
    username: 'Dr.Li',
    displayName: '李医生',
    orgId: org.id,
    roles: ['clinician'],
    qualifications: [{ type: 'licence', value: '110000000001' }],
    department: 'cardiology',
    password: PASSWORD,
  });
  return { t, clock, directory, auth, org, user, logins };
}

const statusOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 200;
  } catch (e) {
    assert.ok(e instanceof CustodiaError, String(e));
    return e.status;
  }
};

for (const { dialect, skip } of testDialects()) {
  describe(`identity on ${dialect}`, { skip }, () => {
    test('a user logs in and the access token names them, their org and roles', async () => {
      const s = await setup(dialect);
      try {
        const pair = await s.auth.login(TENANT, 'dr.li', PASSWORD, '127.0.0.1');
        assert.equal(pair.token_type, 'Bearer');
        const p = await s.auth.verifyAccessToken(pair.access_token);
        assert.equal(p.userId, s.user.id);
        assert.equal(p.orgId, s.org.id);
        assert.deepEqual(p.roles, ['clinician']);
        assert.equal(p.department, 'cardiology');
        assert.equal(s.logins.at(-1)?.outcome, 'success');
      } finally {
        await s.t.dispose();
      }
    });

    test('a wrong password and an unknown user get the same 401', async () => {
      const s = await setup(dialect);
      try {
        const wrong = await s.auth
          .login(TENANT, 'dr.li', 'wrong password!!', '127.0.0.1')
          .catch((e: CustodiaError) => e);
        const unknown = await s.auth
          .login(TENANT, 'nobody', 'wrong password!!', '127.0.0.1')
          .catch((e: CustodiaError) => e);
        assert.ok(wrong instanceof CustodiaError && unknown instanceof CustodiaError);
        assert.equal(wrong.status, 401);
        assert.equal(unknown.status, 401);
        assert.equal(wrong.message, unknown.message);
      } finally {
        await s.t.dispose();
      }
    });

    test('five failures lock an account (known or not) until the lock expires', async () => {
      const s = await setup(dialect);
      try {
        for (let i = 0; i < 5; i++)
          assert.equal(await statusOf(s.auth.login(TENANT, 'dr.li', 'bad password 123', `10.0.0.${i}`)), 401);
        assert.equal(await statusOf(s.auth.login(TENANT, 'dr.li', PASSWORD, '10.0.1.1')), 429);
        for (let i = 0; i < 5; i++)
          assert.equal(await statusOf(s.auth.login(TENANT, 'ghost', 'bad password 123', `10.0.2.${i}`)), 401);
        assert.equal(await statusOf(s.auth.login(TENANT, 'ghost', 'bad password 123', '10.0.3.1')), 429);
        s.clock.advance(15 * 60_000 + 1);
        assert.equal(await statusOf(s.auth.login(TENANT, 'dr.li', PASSWORD, '10.0.1.1')), 200);
      } finally {
        await s.t.dispose();
      }
    });

    test('one address is rate limited whatever usernames it tries', async () => {
      const s = await setup(dialect);
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 31; i++)
          statuses.push(await statusOf(s.auth.login(TENANT, `user${i}`, 'whatever password', '192.0.2.1')));
        assert.equal(statuses.at(-1), 429);
        assert.ok(statuses.slice(0, 30).every((x) => x === 401));
      } finally {
        await s.t.dispose();
      }
    });

    test('refresh rotates the token, and reusing a spent one ends every session', async () => {
      const s = await setup(dialect);
      try {
        const first = await s.auth.login(TENANT, 'dr.li', PASSWORD, '127.0.0.1');
        const second = await s.auth.refresh(TENANT, first.refresh_token);
        assert.notEqual(second.refresh_token, first.refresh_token);
        assert.equal(await statusOf(s.auth.refresh(TENANT, first.refresh_token)), 401);
        assert.equal(await statusOf(s.auth.refresh(TENANT, second.refresh_token)), 401);
      } finally {
        await s.t.dispose();
      }
    });

    test('a revoked access token is refused, also after a restart', async () => {
      const s = await setup(dialect);
      try {
        const pair = await s.auth.login(TENANT, 'dr.li', PASSWORD, '127.0.0.1');
        const p = await s.auth.verifyAccessToken(pair.access_token);
        await s.auth.revoke(p, pair.refresh_token);
        assert.equal(await statusOf(s.auth.verifyAccessToken(pair.access_token)), 401);
        assert.equal(await statusOf(s.auth.refresh(TENANT, pair.refresh_token)), 401);
        // A new process knows the revocation from the database.
        const { privateKey, publicKey } = generateKeyPairSync('ed25519');
        const fresh = new AccessTokens({ kid: 'k1', privateKey, publicKey }, 'custodia-test', 900, s.clock);
        const restarted = new Authenticator(s.t.store, s.directory, fresh, s.clock, {
          refreshTtlSeconds: 60,
        });
        await restarted.loadRevocations();
        assert.equal(await statusOf(restarted.verifyAccessToken(pair.access_token)), 401);
      } finally {
        await s.t.dispose();
      }
    });

    test('access tokens expire', async () => {
      const s = await setup(dialect);
      try {
        const pair = await s.auth.login(TENANT, 'dr.li', PASSWORD, '127.0.0.1');
        await s.auth.verifyAccessToken(pair.access_token);
        s.clock.advance(901_000);
        assert.equal(await statusOf(s.auth.verifyAccessToken(pair.access_token)), 401);
      } finally {
        await s.t.dispose();
      }
    });

    test('service accounts authenticate with API keys that can be revoked', async () => {
      const s = await setup(dialect);
      try {
        const svc = await s.directory.createUser(TENANT, {
          username: 'node-agent',
          kind: 'service',
          orgId: s.org.id,
          roles: ['data-steward'],
        });
        const { id, key } = await s.auth.createApiKey(TENANT, svc.id, 'federation node');
        const p = await s.auth.verifyApiKey(TENANT, key);
        assert.equal(p.kind, 'service');
        assert.equal(await statusOf(s.auth.verifyApiKey(TENANT, key.slice(0, -2) + 'xx')), 401);
        await s.auth.revokeApiKey(TENANT, id);
        assert.equal(await statusOf(s.auth.verifyApiKey(TENANT, key)), 401);
        assert.equal(
          await statusOf(s.auth.login(TENANT, 'node-agent', 'any password at all', '127.0.0.1')),
          401,
        );
      } finally {
        await s.t.dispose();
      }
    });

    test('bad input is refused with the field named', async () => {
      const s = await setup(dialect);
      try {
        const e1 = await s.directory
          .createUser(TENANT, { username: 'x1', orgId: s.org.id, roles: ['wizard'], password: PASSWORD })
          .catch((e: CustodiaError) => e);
        assert.ok(e1 instanceof CustodiaError && e1.path === 'roles' && e1.status === 400);
        const e2 = await s.directory
          .createUser(TENANT, { username: 'x2', orgId: s.org.id, roles: ['nurse'], password: 'short' })
          .catch((e: CustodiaError) => e);
        assert.ok(e2 instanceof CustodiaError && e2.path === 'password');
        const e3 = await s.directory
          .createOrganization(TENANT, { name: 'X', type: 'bank' })
          .catch((e: CustodiaError) => e);
        assert.ok(e3 instanceof CustodiaError && e3.path === 'type');
        assert.equal(
          await statusOf(
            s.directory.createUser(TENANT, {
              username: 'dr.li',
              orgId: s.org.id,
              roles: ['nurse'],
              password: PASSWORD,
            }),
          ),
          409,
        );
      } finally {
        await s.t.dispose();
      }
    });
  });
}
