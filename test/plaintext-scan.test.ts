import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { plaintextFound, plaintextFoundInFile } from './helpers/plaintext-scan.js';

test('the plaintext scan finds short names where plaintext puts them', () => {
  const secrets = ['Hahn', '王芳', 'Wisozk', '110105196001010012'];
  assert.deepEqual(plaintextFound(secrets, [{ text: 'hahn' }]), ['Hahn'], 'a whole column value');
  assert.deepEqual(plaintextFound(secrets, [{ text: 'Dr. Wisozk, MD' }]), ['Wisozk'], 'a word in text');
  assert.deepEqual(
    plaintextFound(secrets, [{ bytes: Buffer.from('{"family":"王芳"}') }]),
    ['王芳'],
    'a JSON string in binary',
  );
  assert.deepEqual(
    plaintextFound(secrets, [{ bytes: Buffer.concat([randomBytes(64), Buffer.from('110105196001010012')]) }]),
    ['110105196001010012'],
    'a long identifier anywhere',
  );
  assert.deepEqual(plaintextFoundInFile(secrets, Buffer.from('x"Hahn"y 110105196001010012')), [
    'Hahn',
    '110105196001010012',
  ]);
});

test('the plaintext scan ignores short names inside tokens and ciphertext', () => {
  const secrets = ['Hahn', 'Wisozk'];
  const tokens = ['aHahnb_x', 'Wisozk-Q9', 'x_Hahn'].map((text) => ({ text }));
  const ciphertext = { bytes: Buffer.concat([randomBytes(16), Buffer.from('Hahn'), randomBytes(16)]) };
  assert.deepEqual(plaintextFound(secrets, [...tokens, ciphertext]), []);
  assert.deepEqual(plaintextFoundInFile(secrets, ciphertext.bytes), []);
});
