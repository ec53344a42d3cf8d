import assert from 'node:assert/strict';
import { randomBytes, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TenantId } from '../core/index.js';
import { openTestStore } from '../store/testing.js';
import { BlindIndexer } from './blind-index.js';
import { cryptoMigrations } from './migrations.js';
import { PatientCipher } from './patient-cipher.js';
import { startVaultDouble, type VaultDouble } from './vault-transit-double.js';
import { VAULT_KEYRING_FILE, VaultTransitKeyProvider } from './vault-transit.js';

const TOKEN = 'hvs.test-token-do-not-log';
const T = 'region-zj' as TenantId;
const ctx = Buffer.from('patient-1');
let vault: VaultDouble;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'custodia-vault-'));
  dirs.push(d);
  return d;
};
before(async () => {
  vault = await startVaultDouble({ token: TOKEN, namespace: 'health/zj' });
});
after(async () => {
  await vault.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
const provider = (
  dataDir: string,
  overrides: Partial<ConstructorParameters<typeof VaultTransitKeyProvider>[0]> = {},
) =>
  new VaultTransitKeyProvider({
    address: vault.url,
    token: TOKEN,
    namespace: 'health/zj',
    dataDir,
    ...overrides,
  });

describe('VaultTransitKeyProvider (against a Vault Transit test double)', () => {
  test('wraps through transit/encrypt as vault:v1: ciphertexts bound to their context', async () => {
    const p = provider(tempDir());
    const dataKey = randomBytes(32);
    const [w] = await p.wrap(T, [{ plaintext: dataKey, context: ctx }]);
    assert.equal(w!.kekVersion, 1);
    assert.match(Buffer.from(w!.wrapped).toString(), /^vault:v1:[A-Za-z0-9+/=]+$/);
    assert.ok(vault.requests.includes('POST /v1/transit/encrypt/custodia-tenant-region-zj'));
    assert.equal(vault.keys.get('custodia-tenant-region-zj')?.derived, true);
    assert.deepEqual(await p.unwrap(T, [{ key: w!, context: ctx }]), [dataKey]);
    await assert.rejects(p.unwrap(T, [{ key: w!, context: Buffer.from('patient-2') }]), {
      code: 'integrity',
    });
    const tampered = Buffer.from(w!.wrapped);
    tampered[tampered.length - 3] = tampered[tampered.length - 3] === 65 ? 66 : 65;
    await assert.rejects(p.unwrap(T, [{ key: { kekVersion: 1, wrapped: tampered }, context: ctx }]), {
      code: 'integrity',
    });
  });

  test('rotation, rewrap without seeing the key, and retirement of old versions', async () => {
    const tenant = 'region-rot' as TenantId;
    const dataDir = tempDir();
    const p = provider(dataDir);
    const [v1] = await p.wrap(tenant, [{ plaintext: Buffer.alloc(32, 1), context: ctx }]);
    const subkey = await p.deriveSubkey(tenant, 'patient-index');
    assert.equal(await p.rotateTenantKey(tenant), 2);
    assert.deepEqual(await p.unwrap(tenant, [{ key: v1!, context: ctx }]), [Buffer.alloc(32, 1)]);
    const [v2] = await p.rewrap(tenant, [{ key: v1!, context: ctx }]);
    assert.equal(v2!.kekVersion, 2);
    assert.ok(vault.requests.includes('POST /v1/transit/rewrap/custodia-tenant-region-rot'));
    await p.retireKeyVersionsBelow(tenant, 2);
    await assert.rejects(p.unwrap(tenant, [{ key: v1!, context: ctx }]), { code: 'gone' });
    assert.deepEqual(await p.unwrap(tenant, [{ key: v2!, context: ctx }]), [Buffer.alloc(32, 1)]);
    // The derivation root was re-wrapped before retiring: a fresh process derives the same subkey.
    const fresh = provider(dataDir);
    assert.deepEqual(await fresh.deriveSubkey(tenant, 'patient-index'), subkey);
  });

  test('roots and signing keys persist only as Vault ciphertexts and survive a restart', async () => {
    const dataDir = tempDir();
    const p = provider(dataDir);
    const index = await new BlindIndexer(p).blindIndex(T, 'phone', '13800138000');
    const signer = await p.signingKey('access-token');
    const sig = sign(null, Buffer.from('m'), signer.privateKey);
    const file = readFileSync(join(dataDir, VAULT_KEYRING_FILE), 'utf8');
    const pkcs8 = signer.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    assert.ok(!file.includes(pkcs8));
    assert.ok(!file.includes(TOKEN));
    const parsed = JSON.parse(file) as {
      roots: Record<string, string>;
      signing: Record<string, { wrapped: string }[]>;
    };
    assert.match(parsed.roots[T]!, /^vault:v\d+:/);
    assert.match(parsed.signing['access-token']![0]!.wrapped, /^vault:v1:/);

    const restarted = provider(dataDir);
    assert.equal(await new BlindIndexer(restarted).blindIndex(T, 'phone', '+86 138 0013 8000'), index);
    const again = await restarted.signingKey('access-token');
    assert.equal(again.kid, signer.kid);
    assert.ok(verify(null, Buffer.from('m'), again.publicKey, sig));
    const rotated = await restarted.rotateSigningKey('access-token');
    assert.deepEqual(
      (await provider(dataDir).verificationKeys('access-token')).map((k) => k.kid),
      [rotated.kid, signer.kid],
    );
  });

  test('Vault failures become unavailable with Retry-After, without leaking the token', async () => {
    const p = provider(tempDir());
    await p.currentKeyVersion(T);
    vault.failNext = { status: 503, errors: ['Vault is sealed'], retryAfter: '7' };
    await assert.rejects(
      p.wrap(T, [{ plaintext: randomBytes(32), context: ctx }]),
      (e: Error & { code?: string; retryAfter?: number }) => {
        assert.equal(e.code, 'unavailable');
        assert.equal(e.retryAfter, 7);
        assert.match(e.message, /sealed/);
        return true;
      },
    );
    const wrongToken = provider(tempDir(), { token: 'hvs.wrong-secret' });
    await assert.rejects(wrongToken.currentKeyVersion(T), (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, 'unavailable');
      assert.match(e.hint ?? '', /token/);
      assert.ok(!e.message.includes('wrong-secret'));
      return true;
    });
    const wrongNamespace = provider(tempDir(), { namespace: 'health/sh' });
    await assert.rejects(wrongNamespace.currentKeyVersion(T), { code: 'unavailable' });
    const down = provider(tempDir(), { address: 'http://127.0.0.1:9', timeoutMs: 2000 });
    await assert.rejects(down.currentKeyVersion(T), { code: 'unavailable', retryAfter: 5 });
  });

  test('PatientCipher works the same over Vault: seal, open, re-wrap, erase', async () => {
    const t = await openTestStore('sqlite', cryptoMigrations);
    try {
      const keys = provider(t.dataDir);
      const cipher = new PatientCipher({ store: t.store, keys });
      const sc = {
        tenant: 'region-pc' as TenantId,
        patient: 'p1',
        resourceType: 'Patient',
        id: 'p1',
        version: 1,
      };
      const sealed = await cipher.seal(Buffer.from('{"name":"李四"}'), sc);
      const report = await cipher.rewrapAll(sc.tenant);
      assert.deepEqual(report, { kekVersion: 2, rewrapped: 1, remaining: 0 });
      await keys.retireKeyVersionsBelow(sc.tenant, 2);
      assert.deepEqual(
        await new PatientCipher({ store: t.store, keys }).open(sealed, sc),
        Buffer.from('{"name":"李四"}'),
      );
      await cipher.destroyPatientKey(sc.tenant, 'p1');
      await assert.rejects(cipher.open(sealed, sc), { code: 'gone' });
    } finally {
      await t.dispose();
    }
  });
});
