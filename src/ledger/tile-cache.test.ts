import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openTestStore } from '../store/testing.js';
import { Ledger } from './ledger.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { randomSeed } from './primitives.js';
import { ledgerMigrations } from './schema.js';
import { sampleEntry } from './testing.js';
import { TileCache } from './tile-cache.js';

const hex = (hashes: readonly Uint8Array[] | undefined) => hashes?.map((h) => Buffer.from(h).toString('hex'));
const leaves = (tag: number) => Array.from({ length: 16 }, (_, i) => leafHash(Buffer.from(`${tag}/${i}`)));

test('the tile cache returns what was put and forgets the least recently used', () => {
  const cache = new TileCache(16, 2);
  cache.put(1, leaves(1));
  cache.put(2, leaves(2));
  assert.deepEqual(hex(cache.get(1)), hex(leaves(1))); // 1 is now the most recent
  cache.put(3, leaves(3));
  assert.equal(cache.get(2), undefined);
  assert.deepEqual(hex(cache.get(1)), hex(leaves(1)));
  assert.deepEqual(hex(cache.get(3)), hex(leaves(3)));
  cache.put(4, leaves(4).slice(0, 15)); // incomplete tiles are never cached
  assert.equal(cache.get(4), undefined);
});

test('proofs are the same from cached tiles, from the database, and after a restart', async () => {
  const t = await openTestStore('sqlite', ledgerMigrations);
  const seed = randomSeed();
  const options = { tenantId: 't', origin: 'audit.example/log', signingKey: seed, cadence: { everyMs: 0 } };
  try {
    const cached = await Ledger.open(t.store, options);
    await Promise.all(Array.from({ length: 333 }, (_, i) => cached.append(sampleEntry(i))));
    const root = await cached.rootAt();
    const paths = await Promise.all(Array.from({ length: 333 }, (_, i) => cached.inclusionPath(i)));
    await cached.close();
    for (const tileCache of [0, 1, undefined]) {
      const ledger = await Ledger.open(t.store, {
        ...options,
        ...(tileCache === undefined ? {} : { tileCache }),
      });
      for (let i = 0; i < 333; i++) {
        const path = await ledger.inclusionPath(i);
        assert.deepEqual(hex(path), hex(paths[i]));
        assert.ok(verifyInclusion(i, 333, leafHash((await ledger.get(i)).bytes), path, root));
      }
      await ledger.close({ checkpoint: false });
    }
  } finally {
    await t.dispose();
  }
});
