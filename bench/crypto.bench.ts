// Envelope encryption and blind-index throughput: seal/open of a 2 KB resource body with the
// patient's data key cached (the steady state of reads and ingest), and blind indexes of names
// and identifiers. Run: node --expose-gc --import tsx bench/crypto.bench.ts [--quick]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TenantId } from '../src/core/index.js';
import {
  BlindIndexer,
  cryptoMigrations,
  LocalKeyring,
  PatientCipher,
  type SealContext,
} from '../src/crypto/index.js';
import { openTestStore } from '../src/store/testing.js';
import { quick, writeResult } from './lib/report.js';

const runs = quick ? 2 : 5;
const seconds = quick ? 0.3 : 2;
const tenant = 'region-bench' as TenantId;

/** Calls `op` in batches until `seconds` have passed; returns operations per second. */
async function rate(op: (i: number) => unknown | Promise<unknown>, batch = 1000): Promise<number> {
  let done = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < batch; i++) await op(done + i);
    done += batch;
  }
  return done / ((performance.now() - start) / 1000);
}

const t = await openTestStore('sqlite', cryptoMigrations);
const keysDir = mkdtempSync(join(tmpdir(), 'custodia-bench-keys-'));
try {
  const keys = await LocalKeyring.open({ dataDir: keysDir, masterKey: randomBytes(32) });
  const cipher = new PatientCipher({ store: t.store, keys });
  const ctx: SealContext = { tenant, patient: 'p1', resourceType: 'Observation', id: 'o1', version: 1 };
  const body = Buffer.from(JSON.stringify({ resourceType: 'Observation', text: 'x'.repeat(2000) })).subarray(
    0,
    2048,
  );
  const sealed = await cipher.seal(body, ctx); // creates and caches the data key
  const indexer = await new BlindIndexer(keys).forTenant(tenant);
  const names = ['张三丰', '欧阳娜娜', 'José García', '阿依古丽·买买提', 'John Ronald Smith'];
  const ids = ['110105194912310021', 'MRN-2024-000123', '+86 138 0013 8000'];

  const sealRuns: number[] = [];
  const openRuns: number[] = [];
  const indexRuns: number[] = [];
  const nameRuns: number[] = [];
  for (let r = 0; r < runs; r++) {
    globalThis.gc?.();
    sealRuns.push(await rate(() => cipher.seal(body, ctx)));
    openRuns.push(await rate(() => cipher.open(sealed, ctx)));
    indexRuns.push(await rate((i) => indexer.index(i % 3 === 2 ? 'phone' : 'identifier', ids[i % 3]!)));
    nameRuns.push(await rate((i) => indexer.nameIndexes(names[i % names.length]!)));
  }
  writeResult(
    'crypto',
    [
      { name: 'seal_2kb_cached_key_ops_per_s', runs: sealRuns },
      { name: 'open_2kb_cached_key_ops_per_s', runs: openRuns },
      { name: 'blind_index_identifier_ops_per_s', runs: indexRuns },
      { name: 'name_tokens_indexed_per_s_names', runs: nameRuns },
    ],
    { bodyBytes: body.length, note: 'single thread; seal/open include the async data-key cache lookup' },
  );
} finally {
  await t.dispose();
  rmSync(keysDir, { recursive: true, force: true });
}
