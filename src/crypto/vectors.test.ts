// Published test vectors, computed with the same node:crypto calls the module makes.
import assert from 'node:assert/strict';
import {
  createCipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  sign,
  verify,
} from 'node:crypto';
import { test } from 'node:test';
import { gcmOpen } from './aead.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('HKDF-SHA-256: RFC 5869 test case 1', () => {
  const okm = hkdfSync(
    'sha256',
    Buffer.alloc(22, 0x0b),
    hex('000102030405060708090a0b0c'),
    hex('f0f1f2f3f4f5f6f7f8f9'),
    42,
  );
  assert.equal(
    Buffer.from(okm).toString('hex'),
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  );
});

test('HMAC-SHA-256: RFC 4231 test cases 1 and 2', () => {
  assert.equal(
    createHmac('sha256', Buffer.alloc(20, 0x0b)).update('Hi There').digest('hex'),
    'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  );
  assert.equal(
    createHmac('sha256', 'Jefe').update('what do ya want for nothing?').digest('hex'),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  );
});

// The GCM specification (McGrew & Viega), test case 16: AES-256, 60-byte plaintext, 20-byte AAD.
const gcm16 = {
  key: hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'),
  iv: hex('cafebabefacedbaddecaf888'),
  aad: hex('feedfacedeadbeeffeedfacedeadbeefabaddad2'),
  plaintext: hex(`d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
    1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39`),
  ciphertext: hex(`522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
    8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662`),
  tag: hex('76fc6ece0f4e1768cddf8853bb2d551b'),
};

test('AES-256-GCM: GCM specification test case 16 encrypts as published', () => {
  const cipher = createCipheriv('aes-256-gcm', gcm16.key, gcm16.iv);
  cipher.setAAD(gcm16.aad);
  const ct = Buffer.concat([cipher.update(gcm16.plaintext), cipher.final()]);
  assert.equal(ct.toString('hex'), gcm16.ciphertext.toString('hex'));
  assert.equal(cipher.getAuthTag().toString('hex'), gcm16.tag.toString('hex'));
});

test('AES-256-GCM: our open accepts test case 16 and refuses it with a changed AAD', () => {
  const sealed = Buffer.concat([gcm16.iv, gcm16.ciphertext, gcm16.tag]);
  assert.deepEqual(gcmOpen(gcm16.key, sealed, gcm16.aad, 'vector'), gcm16.plaintext);
  const otherAad = Buffer.from(gcm16.aad);
  otherAad[0]! ^= 1;
  assert.throws(() => gcmOpen(gcm16.key, sealed, otherAad, 'vector'), { code: 'integrity' });
});

test('Ed25519: RFC 8032 test 1 (empty message)', () => {
  const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  // PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410).
  const privateKey = createPrivateKey({
    key: Buffer.concat([hex('302e020100300506032b657004220420'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey);
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  assert.equal(raw.toString('hex'), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
  const signature = sign(null, Buffer.alloc(0), privateKey);
  assert.equal(
    signature.toString('hex'),
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  );
  assert.equal(verify(null, Buffer.alloc(0), publicKey, signature), true);
});
