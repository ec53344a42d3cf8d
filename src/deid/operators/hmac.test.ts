import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { KeyedHmac } from './hmac.js';
import { BoundedMemo } from './memo.js';

describe('KeyedHmac', () => {
  it('matches RFC 4231 test case 2 and node:crypto on random keys and texts of any length', () => {
    assert.equal(
      new KeyedHmac(Buffer.from('Jefe')).hex('what do ya want for nothing?'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 150 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.integer({ min: 1, max: 64 }),
        (key, text, length) => {
          const mac = new KeyedHmac(key);
          const expected = createHmac('sha256', key).update(text, 'utf8').digest();
          assert.equal(mac.hex(text, length), expected.toString('hex').slice(0, length));
          assert.deepEqual(mac.digest(text), expected);
          // Reused state: a second value through the same instance is still right.
          assert.equal(
            mac.hex(text + 'x'),
            createHmac('sha256', key)
              .update(text + 'x')
              .digest('hex'),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('covers every padding boundary around 55, 56 and 64 bytes, with and without a prefix', () => {
    const key = Buffer.alloc(32, 9);
    const mac = new KeyedHmac(key);
    const prefix = Buffer.from('date-shift\u0000');
    for (let n = 0; n <= 200; n++) {
      const text = 'a'.repeat(n);
      assert.equal(mac.hex(text), createHmac('sha256', key).update(text).digest('hex'), `length ${n}`);
      const withPrefix = createHmac('sha256', key).update(prefix).update(text).digest();
      assert.equal(mac.firstUint32(text, prefix), withPrefix.readUInt32BE(0), `prefixed length ${n}`);
    }
  });
});

describe('BoundedMemo', () => {
  it('never holds more than two generations of entries', () => {
    const memo = new BoundedMemo<number>(100);
    for (let i = 0; i < 10_000; i++) {
      if (memo.get(`k${i % 150}`) === undefined) memo.set(`k${i % 150}`, i);
      assert.ok(memo.size <= 200);
    }
  });

  it('returns what was stored while values repeat', () => {
    const memo = new BoundedMemo<string>(1000);
    let hits = 0;
    for (let i = 0; i < 20_000; i++) {
      const k = `p${i % 50}`;
      const v = memo.get(k);
      if (v === undefined) memo.set(k, k.toUpperCase());
      else {
        assert.equal(v, k.toUpperCase());
        hits++;
      }
    }
    assert.ok(hits > 19_000);
  });

  it('steps aside when nothing repeats, and comes back when values start repeating', () => {
    const memo = new BoundedMemo<number>(1000);
    for (let i = 0; i < 4096; i++) {
      memo.set(`u${i}`, i);
      memo.get(`v${i}`);
    }
    // Bypassed: lookups miss even for a key just stored.
    memo.set('fresh', 1);
    assert.equal(memo.get('fresh'), undefined);
    let hits = 0;
    for (let i = 0; i < 100_000; i++) {
      const v = memo.get('hot');
      if (v === undefined) memo.set('hot', 7);
      else hits++;
    }
    assert.ok(hits > 60_000, `hits ${hits}`);
  });
});
