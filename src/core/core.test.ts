import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, CustodiaError, isUuid, ManualClock, uuidv7 } from './index.js';

test('uuidv7 is a version-7 UUID ordered by time', () => {
  const a = uuidv7(1_700_000_000_000);
  const b = uuidv7(1_700_000_000_001);
  assert.ok(isUuid(a));
  assert.equal(a[14], '7');
  assert.ok(['8', '9', 'a', 'b'].includes(a[19]!));
  assert.ok(a < b);
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
