import assert from 'node:assert/strict';
import { test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { cachingDatabase } from './statement-cache.js';

test('compiled statements are reused by SQL text, least recently used evicted first', () => {
  const raw = new BetterSqlite3(':memory:');
  const db = cachingDatabase(raw, 2);
  const a = db.prepare('select 1 as n');
  assert.equal(db.prepare('select 1 as n'), a);
  const b = db.prepare('select 2 as n');
  db.prepare('select 1 as n'); // a is now the most recently used
  db.prepare('select 3 as n'); // evicts b
  assert.equal(db.prepare('select 1 as n'), a);
  assert.notEqual(db.prepare('select 2 as n'), b);
  assert.deepEqual(a.all([]), [{ n: 1 }]);
  db.close();
  assert.equal(raw.open, false);
});

test('a reused statement sees schema changes made after it was compiled', () => {
  const db = cachingDatabase(new BetterSqlite3(':memory:'));
  db.prepare('create table t (a integer)').run([]);
  db.prepare('insert into t values (?)').run([1]);
  const select = 'select * from t';
  assert.deepEqual(db.prepare(select).all([]), [{ a: 1 }]);
  db.prepare('alter table t add column b text').run([]);
  assert.deepEqual(db.prepare(select).all([]), [{ a: 1, b: null }]);
  db.close();
});
