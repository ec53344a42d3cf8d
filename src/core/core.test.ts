import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, CustodiaError, isUuid, ManualClock, randomBytesPooled, uuidv7 } from './index.js';

test('uuidv7 is a version-7 UUID ordered by time', () => {
  const a = uuidv7(1_700_000_000_000);
  const b = uuidv7(1_700_000_000_001);
  assert.ok(isUuid(a));
  assert.equal(a[14], '7');
  assert.ok(['8', '9', 'a', 'b'].includes(a[19]!));
  assert.ok(a < b);
});

test('uuidv7 carries the milliseconds big-endian in its first 48 bits (RFC 9562 §5.7 example)', () => {
  // The RFC's example: 2022-02-22T19:22:22Z = 0x017F22E279B0 ms → 017f22e2-79b0-7…
  assert.ok(uuidv7(0x017f22e279b0).startsWith('017f22e2-79b0-7'));
  assert.ok(uuidv7(2 ** 48 - 1).startsWith('ffffffff-ffff-7'));
  assert.ok(uuidv7(0).startsWith('00000000-0000-7'));
});

test('pooled random bytes are fresh per call and keep their value across refills', () => {
  const first = randomBytesPooled(12);
  const copy = Buffer.from(first);
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) seen.add(randomBytesPooled(12).toString('hex')); // several refills
  assert.equal(seen.size, 5000);
  assert.deepEqual(first, copy);
  assert.equal(randomBytesPooled(20_000).length, 20_000);
});

test('canonical JSON follows RFC 8785 (sorted keys, ES number form)', () => {
  assert.equal(
    canonicalJson({ b: 1, a: [true, null, 'x'], c: 1e21 }),
    '{"a":[true,null,"x"],"b":1,"c":1e+21}',
  );
  assert.equal(canonicalJson({ '\u20ac': 1, '\r': 2 }), '{"\\r":2,"€":1}');
});

test('errors carry an HTTP status from their code', () => {
  const e = new CustodiaError('not-found', 'no such user', { hint: 'check the id' });
  assert.equal(e.status, 404);
  assert.equal(e.hint, 'check the id');
});

test('the manual clock moves only when told', () => {
  const clock = new ManualClock(1000);
  clock.advance(500);
  assert.equal(clock.now(), 1500);
});
