import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lengthPrefixed } from './bytes.js';

/** The encoding as first written (a TextEncoder array per field): stored ciphertexts' AADs depend on it. */
function reference(domain: string, fields: readonly (string | number)[]): Buffer {
  const encoder = new TextEncoder();
  const parts = [domain, ...fields].map((f) => encoder.encode(typeof f === 'number' ? String(f) : f));
  return Buffer.concat(
    parts.flatMap((p) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(p.length);
      return [length, p];
    }),
  );
}

test('lengthPrefixed: a fixed vector (4-byte big-endian length, then the UTF-8 bytes)', () => {
  assert.equal(
    lengthPrefixed('d', ['ab', 7]).toString('hex'),
    ['00000001', '64', '00000002', '6162', '00000001', '37'].join(''),
  );
});

test('lengthPrefixed: the same bytes as the TextEncoder encoding, for any text', () => {
  const texts = [
    '',
    'Observation',
    '张三',
    '王小明 👩‍⚕️',
    'a\u0000b',
    '\ud800 lone surrogate',
    'x'.repeat(300),
  ];
  for (const domain of ['custodia.resource.v1', '', '域']) {
    for (const t of texts) {
      const fields = [t, 42, '', t.toUpperCase()];
      assert.deepEqual(lengthPrefixed(domain, fields), reference(domain, fields), JSON.stringify(fields));
    }
  }
  assert.deepEqual(lengthPrefixed('only', []), reference('only', []));
});
