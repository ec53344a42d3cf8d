import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { calculateJwkThumbprint, compactVerify, CompactSign, createLocalJWKSet, importJWK } from 'jose';
import { LocalKeyring } from './local-keyring.js';
import { jwks, publicJwk, signEd25519, verifyEd25519 } from './signing.js';

const dataDir = mkdtempSync(join(tmpdir(), 'custodia-sign-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const keyring = () => LocalKeyring.open({ dataDir, masterKey: Buffer.alloc(32, 3) });

test('sign and verify; a changed message, signature or key fails', async () => {
  const k = await (await keyring()).signingKey('ledger-checkpoint');
  const message = Buffer.from('checkpoint 42 a1b2');
  const sig = signEd25519(k, message);
  assert.equal(sig.length, 64);
  assert.ok(verifyEd25519(k, message, sig));
  assert.ok(!verifyEd25519(k, Buffer.from('checkpoint 43 a1b2'), sig));
  const bad = Buffer.from(sig);
  bad[10]! ^= 1;
  assert.ok(!verifyEd25519(k, message, bad));
  assert.ok(!verifyEd25519(k, message, sig.subarray(0, 63)));
  const other = await (await keyring()).signingKey('consent-receipt');
  assert.ok(!verifyEd25519(other, message, sig));
});

test('public JWKs carry the RFC 7638 thumbprint as kid and verify EdDSA JWS made with the key', async () => {
  const k = await (await keyring()).signingKey('access-token');
  const jwk = await publicJwk(k);
  assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
  assert.equal(jwk.kid, await calculateJwkThumbprint(jwk));
  const jws = await new CompactSign(Buffer.from('{"sub":"u1"}'))
    .setProtectedHeader({ alg: 'EdDSA', kid: k.kid })
    .sign(k.privateKey);
  const { payload } = await compactVerify(jws, await importJWK(jwk, 'EdDSA'));
  assert.equal(Buffer.from(payload).toString(), '{"sub":"u1"}');
  // A token signed before a rotation still verifies through the published set.
  const rotated = await (await keyring()).rotateSigningKey('access-token');
  assert.notEqual(rotated.kid, k.kid);
  const set = await jwks(await (await keyring()).verificationKeys('access-token'));
  assert.equal(set.keys.length, 2);
  assert.ok(set.keys.every((key) => !('d' in key)));
  await compactVerify(jws, createLocalJWKSet(set));
  await assert.rejects(compactVerify(jws, createLocalJWKSet({ keys: [set.keys[0]!] })));
});
