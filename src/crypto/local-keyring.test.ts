import assert from 'node:assert/strict';
import { randomBytes, sign, verify } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { TenantId } from '../core/index.js';
import { KEYRING_FILE, LocalKeyring, MASTER_KEY_FILE } from './local-keyring.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'custodia-keyring-'));
  dirs.push(d);
  return d;
};
const noEnv = {};
const T = 'region-zj' as TenantId;
const ctx = Buffer.from('patient-1');

describe('LocalKeyring', () => {
  test('first open creates a 0600 master-key file and a keyring that hides what it holds', async () => {
    const dataDir = tempDir();
    const keyring = await LocalKeyring.open({ dataDir, env: noEnv });
    assert.equal(keyring.masterKeySource, 'created-file');
    await keyring.wrap(T, [{ plaintext: randomBytes(32), context: ctx }]);
    await keyring.signingKey('access-token');
    assert.equal(statSync(join(dataDir, MASTER_KEY_FILE)).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, KEYRING_FILE)).mode & 0o777, 0o600);
    const text = readFileSync(join(dataDir, KEYRING_FILE), 'utf8');
    assert.deepEqual(Object.keys(JSON.parse(text) as object).sort(), [
      'format',
      'masterKeyId',
      'sealed',
      'version',
    ]);
    for (const secret of [T, 'access-token', 'tenants', 'pkcs8']) assert.ok(!text.includes(secret), secret);
  });

  test('reopening with the same master key unwraps, derives and signs as before', async () => {
    const dataDir = tempDir();
    const a = await LocalKeyring.open({ dataDir, env: noEnv });
    const dataKey = randomBytes(32);
    const [wrapped] = await a.wrap(T, [{ plaintext: dataKey, context: ctx }]);
    const subkey = await a.deriveSubkey(T, 'patient-index');
    const kid = (await a.signingKey('ledger')).kid;

    const b = await LocalKeyring.open({ dataDir, env: noEnv });
    assert.equal(b.masterKeySource, 'file');
    assert.deepEqual(await b.unwrap(T, [{ key: wrapped!, context: ctx }]), [dataKey]);
    assert.deepEqual(await b.deriveSubkey(T, 'patient-index'), subkey);
    assert.equal((await b.signingKey('ledger')).kid, kid);
  });

  test('the keyring cannot be read without its master key', async () => {
    const dataDir = tempDir();
    await (await LocalKeyring.open({ dataDir, env: noEnv })).currentKeyVersion(T);
    const masterFile = join(dataDir, MASTER_KEY_FILE);
    const original = readFileSync(masterFile, 'utf8');

    // Another key, from the environment: refused by fingerprint before any decryption.
    const other = randomBytes(32);
    await assert.rejects(
      LocalKeyring.open({ dataDir, env: { CUSTODIA_MASTER_KEY: other.toString('hex') } }),
      {
        code: 'invalid-config',
        message: /sealed under master key/,
      },
    );
    // The fingerprint forged to match the other key: the AES-GCM tag still refuses it.
    const keyringFile = join(dataDir, KEYRING_FILE);
    const forged = JSON.parse(readFileSync(keyringFile, 'utf8')) as { masterKeyId: string };
    const impostor = await LocalKeyring.open({ dataDir: tempDir(), masterKey: other });
    forged.masterKeyId = (
      JSON.parse(readFileSync(impostor.path, 'utf8')) as { masterKeyId: string }
    ).masterKeyId;
    writeFileSync(keyringFile, JSON.stringify(forged));
    await assert.rejects(LocalKeyring.open({ dataDir, masterKey: other }), { code: 'integrity' });

    // No master key at all: an error, and no new master key silently created.
    rmSync(masterFile);
    await assert.rejects(LocalKeyring.open({ dataDir, env: noEnv }), {
      code: 'invalid-config',
      message: /no master key/,
    });
    assert.throws(() => statSync(masterFile), { code: 'ENOENT' });
    writeFileSync(masterFile, original, { mode: 0o600 });
  });

  test('the master key may come from CUSTODIA_MASTER_KEY as hex or base64; garbage is refused', async () => {
    const key = randomBytes(32);
    const dataDir = tempDir();
    const a = await LocalKeyring.open({ dataDir, env: { CUSTODIA_MASTER_KEY: key.toString('hex') } });
    assert.equal(a.masterKeySource, 'env');
    const [w] = await a.wrap(T, [{ plaintext: Buffer.alloc(32, 7), context: ctx }]);
    const b = await LocalKeyring.open({ dataDir, env: { CUSTODIA_MASTER_KEY: key.toString('base64') } });
    assert.deepEqual(await b.unwrap(T, [{ key: w!, context: ctx }]), [Buffer.alloc(32, 7)]);
    await assert.rejects(
      LocalKeyring.open({ dataDir: tempDir(), env: { CUSTODIA_MASTER_KEY: 'too-short' } }),
      {
        code: 'invalid-config',
      },
    );
  });

  test('a master-key file readable by others is refused', async () => {
    const dataDir = tempDir();
    await LocalKeyring.open({ dataDir, env: noEnv });
    chmodSync(join(dataDir, MASTER_KEY_FILE), 0o644);
    await assert.rejects(LocalKeyring.open({ dataDir, env: noEnv }), {
      code: 'invalid-config',
      message: /chmod|readable/,
    });
  });

  test('rotation adds a version; old versions keep unwrapping until retired', async () => {
    const dataDir = tempDir();
    const k = await LocalKeyring.open({ dataDir, env: noEnv });
    const [v1] = await k.wrap(T, [{ plaintext: Buffer.alloc(32, 1), context: ctx }]);
    assert.equal(v1!.kekVersion, 1);
    const root = await k.deriveSubkey(T, 'blind-index:name');
    assert.equal(await k.rotateTenantKey(T), 2);
    const [v2] = await k.wrap(T, [{ plaintext: Buffer.alloc(32, 2), context: ctx }]);
    assert.equal(v2!.kekVersion, 2);
    assert.deepEqual(
      await k.unwrap(T, [
        { key: v1!, context: ctx },
        { key: v2!, context: ctx },
      ]),
      [Buffer.alloc(32, 1), Buffer.alloc(32, 2)],
    );
    const [rewrapped] = await k.rewrap(T, [{ key: v1!, context: ctx }]);
    assert.equal(rewrapped!.kekVersion, 2);
    assert.deepEqual(await k.deriveSubkey(T, 'blind-index:name'), root, 'subkeys survive rotation');

    await assert.rejects(k.retireKeyVersionsBelow(T, 3), { code: 'bad-request' });
    await k.retireKeyVersionsBelow(T, 2);
    await assert.rejects(k.unwrap(T, [{ key: v1!, context: ctx }]), { code: 'gone' });
    assert.deepEqual(await k.unwrap(T, [{ key: rewrapped!, context: ctx }]), [Buffer.alloc(32, 1)]);
  });

  test('a wrapped key opens only for the context it was wrapped for', async () => {
    const k = await LocalKeyring.open({ dataDir: tempDir(), env: noEnv });
    const [w] = await k.wrap(T, [{ plaintext: randomBytes(32), context: ctx }]);
    await assert.rejects(k.unwrap(T, [{ key: w!, context: Buffer.from('patient-2') }]), {
      code: 'integrity',
    });
    const other = 'other' as TenantId;
    await assert.rejects(k.unwrap(other, [{ key: w!, context: ctx }]), {
      code: 'invalid-config',
      message: /no key for tenant/,
    });
    await k.currentKeyVersion(other);
    await assert.rejects(k.unwrap(other, [{ key: w!, context: ctx }]), { code: 'integrity' });
  });

  test('two processes sharing a keyring see each other’s tenants and rotations', async () => {
    const dataDir = tempDir();
    const a = await LocalKeyring.open({ dataDir, env: noEnv });
    const b = await LocalKeyring.open({ dataDir, env: noEnv });
    const t2 = 'region-sh' as TenantId;
    // Created at the same moment by both: the lock keeps either from overwriting the other.
    const [sa, sb] = await Promise.all([
      a.deriveSubkey(T, 'patient-index'),
      b.deriveSubkey(t2, 'patient-index'),
    ]);
    const c = await LocalKeyring.open({ dataDir, env: noEnv });
    assert.deepEqual(await c.deriveSubkey(T, 'patient-index'), sa);
    assert.deepEqual(await c.deriveSubkey(t2, 'patient-index'), sb);

    // `keys rotate` in one process; the other unwraps keys wrapped under the new version.
    await a.rotateTenantKey(T);
    const [w] = await a.wrap(T, [{ plaintext: Buffer.alloc(32, 9), context: ctx }]);
    assert.equal(w!.kekVersion, 2);
    assert.deepEqual(await b.unwrap(T, [{ key: w!, context: ctx }]), [Buffer.alloc(32, 9)]);
    assert.equal(await b.currentKeyVersion(T), 2);
  });

  test('subkeys differ by tenant and purpose', async () => {
    const k = await LocalKeyring.open({ dataDir: tempDir(), env: noEnv });
    const keys = await Promise.all([
      k.deriveSubkey(T, 'blind-index:name'),
      k.deriveSubkey(T, 'blind-index:phone'),
      k.deriveSubkey(T, 'patient-index'),
      k.deriveSubkey('region-bj' as TenantId, 'blind-index:name'),
    ]);
    assert.equal(new Set(keys.map((x) => x.toString('hex'))).size, 4);
  });

  test('signing keys are created on demand, rotate, and stay verifiable', async () => {
    const k = await LocalKeyring.open({ dataDir: tempDir(), env: noEnv });
    const first = await k.signingKey('access-token');
    assert.equal((await k.signingKey('access-token')).kid, first.kid);
    const sig = sign(null, Buffer.from('hello'), first.privateKey);
    const second = await k.rotateSigningKey('access-token');
    assert.notEqual(second.kid, first.kid);
    assert.equal((await k.signingKey('access-token')).kid, second.kid);
    const published = await k.verificationKeys('access-token');
    assert.deepEqual(
      published.map((p) => p.kid),
      [second.kid, first.kid],
    );
    assert.ok(verify(null, Buffer.from('hello'), published[1]!.publicKey, sig));
    assert.ok(!('privateKey' in published[0]!));
  });
});
