import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LruCache } from './lru.js';

test('the LRU evicts the least recently used entry beyond its capacity', () => {
  const lru = new LruCache<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  assert.equal(lru.get('a'), 1); // a is now the most recent
  lru.set('c', 3);
  assert.equal(lru.get('b'), undefined);
  assert.equal(lru.get('a'), 1);
  assert.equal(lru.get('c'), 3);
  assert.equal(lru.size, 2);
});

test('LRU entries expire after their time to live; capacity 0 caches nothing', () => {
  let now = 0;
  const lru = new LruCache<string, number>(10, 100, () => now);
  lru.set('a', 1);
  now = 99;
  assert.equal(lru.get('a'), 1);
  now = 100;
  assert.equal(lru.get('a'), undefined);
  const none = new LruCache<string, number>(0);
  none.set('a', 1);
  assert.equal(none.get('a'), undefined);
});
