/**
 * `custodia ledger verify`, `reindex` and `checkpoint` as an operator runs them: an intact log
 * exits 0, a saved checkpoint and two signed sizes check out, lost index rows come back, a
 * changed entry exits 1 naming it, and wrong arguments exit 2.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { loadConfig, openSystem } from '../src/app/index.js';
import { sampleEntry } from '../src/ledger/testing.js';
import { SQLITE_FILE } from '../src/store/index.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'custodia.js');

function custodia(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, CUSTODIA_DATABASE_URL: '', CUSTODIA_CONFIG: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Appends entries as the server would, then closes (which signs a last checkpoint). */
async function append(cwd: string, from: number, count: number): Promise<number> {
  const system = await openSystem(loadConfig({}, { cwd }));
  try {
    await Promise.all(Array.from({ length: count }, (_, i) => system.ledger.append(sampleEntry(from + i))));
    return (await system.ledger.checkpoint()).size;
  } finally {
    await system.close();
  }
}

test('ledger verify and checkpoint on a real data directory', { timeout: 180_000 }, async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'custodia-ledger-cli-'));
  try {
    assert.equal(custodia(cwd, ['init']).status, 0);
    const first = await append(cwd, 0, 500);
    const saved = custodia(cwd, ['ledger', 'checkpoint']);
    assert.equal(saved.status, 0, saved.stderr);
    assert.match(saved.stdout, new RegExp(`^\\S+/custodia/default\\n${first}\\n`));
    writeFileSync(join(cwd, 'saved.checkpoint'), saved.stdout);
    const second = await append(cwd, 500, 1234);

    const whole = custodia(cwd, ['ledger', 'verify']);
    assert.equal(whole.status, 0, whole.stderr);
    assert.match(whole.stdout, new RegExp(`the ledger is intact: ${second} entries`));
    const from = custodia(cwd, ['ledger', 'verify', '--from-checkpoint', 'saved.checkpoint']);
    assert.equal(from.status, 0, from.stderr);
    assert.match(from.stdout, new RegExp(`checkpoint of size ${first}: signed by the log`));
    const consistent = custodia(cwd, [
      'ledger',
      'verify',
      '--consistency',
      'saved.checkpoint',
      String(second),
    ]);
    assert.equal(consistent.status, 0, consistent.stderr);
    assert.match(consistent.stdout, new RegExp(`checkpoints ${first} and ${second} are consistent`));

    // A checkpoint the log never signed (a forged one) is refused.
    writeFileSync(join(cwd, 'forged.checkpoint'), saved.stdout.replace(/\n\n— .*/s, '\n\n— x AAAA\n'));
    assert.equal(custodia(cwd, ['ledger', 'verify', '--from-checkpoint', 'forged.checkpoint']).status, 1);

    // Usage errors.
    assert.equal(custodia(cwd, ['ledger', 'verify', '--consistency', '5']).status, 2);
    assert.equal(custodia(cwd, ['ledger', 'verify', '--consistency', '7', '9']).status, 2);
    assert.equal(custodia(cwd, ['ledger', 'verify', '--from-checkpoint', 'missing.txt']).status, 2);

    // Index rows lost behind the ledger's back: queries miss entries until a reindex.
    const db = new BetterSqlite3(join(cwd, 'data', SQLITE_FILE));
    const actorRows = () => (db.prepare('select count(*) as n from ledger_actor').get() as { n: number }).n;
    const indexed = actorRows();
    assert.equal(indexed, second, 'every entry indexed by its actor');
    db.prepare('delete from ledger_actor where idx < 300').run();
    const reindexed = custodia(cwd, ['ledger', 'reindex']);
    assert.equal(reindexed.status, 0, reindexed.stderr);
    assert.match(reindexed.stdout, new RegExp(`the query index covers all ${second} entries again`));
    assert.equal(actorRows(), indexed);

    // Change one stored entry behind the ledger's back.
    const row = db.prepare('select entry from ledger_leaf where idx = 777').get() as { entry: Buffer };
    const changed = Buffer.from(row.entry.toString('utf8').replace('treatment', 'research!'));
    db.prepare('update ledger_leaf set entry = ? where idx = 777').run(changed);
    db.close();
    const tampered = custodia(cwd, ['ledger', 'verify']);
    assert.equal(tampered.status, 1);
    assert.match(tampered.stderr, /leaf-hash at 777/);
    assert.match(tampered.stderr, /第 777 条记录内容被修改/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
