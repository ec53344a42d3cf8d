/**
 * Three institutions on loopback: hospital A runs the log; A, B and C run witnesses over HTTP.
 * The log gathers a quorum of cosignatures; a forked log signed with A's key is refused by every
 * witness and raises split-view alarms.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  Ledger,
  MemoryWitnessState,
  StoredWitnessState,
  Witness,
  formatAddCheckpoint,
  ledgerMigrations,
  parseVerifierKey,
  randomSeed,
  requestCosignatures,
  verifyCheckpoint,
  verifyEntryInclusion,
  type LedgerAlarm,
  type VerifierKey,
} from '../src/ledger/index.js';
import { sampleEntry } from '../src/ledger/testing.js';
import { openTestStore, type TestStore } from '../src/store/testing.js';

const ORIGIN = 'audit.hospital-a.example/custodia';

function serve(witness: Witness): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/witness/add-checkpoint') {
      res.writeHead(404).end();
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      witness.handleAddCheckpoint(body).then(
        (r) => res.writeHead(r.status, { 'content-type': r.contentType }).end(r.body),
        () => res.writeHead(500).end(),
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/witness` }),
    ),
  );
}

const key = (vkey: string): VerifierKey => {
  const parsed = parseVerifierKey(vkey);
  assert.ok(parsed.ok);
  return parsed.value;
};

describe('a three-institution witness network on loopback', () => {
  const logSeed = randomSeed();
  const alarms: LedgerAlarm[] = [];
  const stores: TestStore[] = [];
  const servers: Server[] = [];
  let ledger: Ledger;
  const witnesses: { witness: Witness; url: string }[] = [];
  let logKey: string;

  before(async () => {
    const storeA = await openTestStore('sqlite', ledgerMigrations);
    const storeB = await openTestStore('sqlite', ledgerMigrations);
    stores.push(storeA, storeB);
    ledger = await Ledger.open(storeA.store, {
      tenantId: 'hospital-a',
      origin: ORIGIN,
      signingKey: logSeed,
      cadence: { everyMs: 0, everyEntries: 1_000_000 },
    });
    logKey = ledger.verifierKey;
    const logs = [{ origin: ORIGIN, keys: [logKey] }];
    const made = [
      new Witness({
        name: 'witness.hospital-a.example/w',
        signingKey: randomSeed(),
        logs,
        state: new StoredWitnessState(storeA.store, 'hospital-a', 'witness.hospital-a.example/w'),
      }),
      new Witness({
        name: 'witness.hospital-b.example/w',
        signingKey: randomSeed(),
        logs,
        state: new StoredWitnessState(storeB.store, 'hospital-b', 'witness.hospital-b.example/w'),
      }),
      new Witness({
        name: 'witness.cdc-c.example/w',
        signingKey: randomSeed(),
        logs,
        state: new MemoryWitnessState(),
      }),
    ];
    for (const w of made) {
      w.alarms.on((a) => alarms.push(a));
      const { server, url } = await serve(w);
      servers.push(server);
      witnesses.push({ witness: w, url });
    }
  });

  after(async () => {
    for (const s of servers) await new Promise((resolve) => s.close(resolve));
    await ledger.close();
    for (const s of stores) await s.dispose();
  });

  const endpoints = () => witnesses.map((w) => ({ key: w.witness.verifierKey, url: w.url }));
  const witnessKeys = () => witnesses.map((w) => key(w.witness.verifierKey));

  test('every witness cosigns a growing log; a quorum checkpoint proves inclusion offline', async () => {
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 40 }, (_, i) => ledger.append(sampleEntry(round * 40 + i))));
      const outcomes = await requestCosignatures(ledger, endpoints());
      assert.deepEqual(
        outcomes.map((o) => o.ok),
        [true, true, true],
        JSON.stringify(outcomes),
      );
    }
    const agreed = await ledger.agreedCheckpoint(witnessKeys(), 2);
    assert.ok(agreed);
    assert.equal(agreed.size, 120);
    assert.equal(agreed.cosignatures.length, 3);
    const policy = {
      origin: ORIGIN,
      logKeys: [logKey],
      witnesses: witnesses.map((w) => w.witness.verifierKey),
      quorum: 3,
    };
    assert.ok(verifyCheckpoint(agreed.note, policy).ok);
    // The patient portal's check: this entry, under the consortium's agreed checkpoint.
    const proof = await ledger.proveInclusion(77, agreed.size);
    const json = {
      index: 77,
      treeSize: proof.treeSize,
      path: proof.path.map((p) => Buffer.from(p).toString('base64')),
      checkpoint: agreed.note,
    };
    assert.ok(verifyEntryInclusion((await ledger.get(77)).bytes, json, policy).ok);
    assert.equal(verifyCheckpoint(agreed.note, { ...policy, quorum: 4 }).ok, false);
    assert.equal(alarms.length, 0);
  });

  test('a witness that restarts its view asks for the right old size (409 then success)', async () => {
    await ledger.append(sampleEntry(500));
    const cp = await ledger.checkpoint();
    const w = witnesses[1]!;
    const stale = await fetch(`${w.url}/add-checkpoint`, {
      method: 'POST',
      body: formatAddCheckpoint(0, [], cp.note),
    });
    assert.equal(stale.status, 409);
    assert.equal(stale.headers.get('content-type'), 'text/x.tlog.size');
    assert.equal(await stale.text(), '120\n');
    const outcomes = await requestCosignatures(ledger, endpoints());
    assert.ok(outcomes.every((o) => o.ok));
  });

  test('a forked log signed with the same key is refused by every witness and alarmed', async () => {
    const forkStore = await openTestStore('sqlite', ledgerMigrations);
    stores.push(forkStore);
    // The same key and origin, a different history of the same length: a split view.
    const fork = await Ledger.open(forkStore.store, {
      tenantId: 'hospital-a',
      origin: ORIGIN,
      signingKey: logSeed,
      cadence: { everyMs: 0, everyEntries: 1_000_000 },
    });
    for (let i = 0; i < ledger.size; i++)
      await fork.append({
        ...sampleEntry(i),
        reason: i === 5 ? 'hidden access' : sampleEntry(i).reason,
      } as Parameters<Ledger['append']>[0]);
    const forged = await fork.checkpoint();
    assert.equal(forged.size, ledger.size);
    const before = alarms.length;
    const outcomes = await requestCosignatures(fork, endpoints());
    assert.ok(
      outcomes.every((o) => !o.ok && o.status === 409),
      JSON.stringify(outcomes),
    );
    const split = alarms.slice(before).filter((a) => a.kind === 'split-view');
    assert.equal(split.length, 3);
    assert.ok(
      split.every((a) =>
        String(a.evidence.conflicting).includes(Buffer.from(forged.root).toString('base64')),
      ),
    );

    // Growing the fork does not help: its consistency proof from the cosigned size fails.
    await fork.append(sampleEntry(999));
    const grown = await fork.checkpoint();
    const proof = await fork.proveConsistency(ledger.size, grown.size);
    const answer = await witnesses[0]!.witness.handleAddCheckpoint(
      formatAddCheckpoint(ledger.size, proof, grown.note),
    );
    assert.equal(answer.status, 422);
    assert.equal(alarms.at(-1)?.kind, 'inconsistent-checkpoint');
    // The log itself refuses the forged checkpoint as its own.
    await assert.rejects(ledger.checkCheckpoint(forged.note), /inconsistent/);
    assert.equal(alarms.length >= before + 4, true);
    await fork.close();
  });

  test('bad signatures, unknown logs and malformed requests get the spec statuses', async () => {
    const w = witnesses[2]!.witness;
    const cp = ledger.latestCheckpoint()!;
    const state = await w.handleAddCheckpoint(formatAddCheckpoint(0, [], cp.note));
    const known = Number(state.body.trim());
    const impostor = await Ledger.open(
      (await openTestStore('sqlite', ledgerMigrations).then((s) => (stores.push(s), s))).store,
      {
        tenantId: 'x',
        origin: ORIGIN,
        signingKey: randomSeed(),
        cadence: { everyMs: 0 },
      },
    );
    await impostor.append(sampleEntry(1));
    const forgedKey = await impostor.checkpoint();
    const before = alarms.length;
    const forbidden = await w.handleAddCheckpoint(formatAddCheckpoint(0, [], forgedKey.note));
    assert.equal(forbidden.status, 403);
    assert.equal(alarms[before]?.kind, 'bad-signature');
    const tampered = cp.note.replace(`\n${cp.size}\n`, `\n${cp.size + 1}\n`);
    assert.equal((await w.handleAddCheckpoint(formatAddCheckpoint(known, [], tampered))).status, 403);
    const other = await Ledger.open(stores[stores.length - 1]!.store, {
      tenantId: 'y',
      origin: 'elsewhere.example/log',
      signingKey: randomSeed(),
      cadence: { everyMs: 0 },
    });
    await other.append(sampleEntry(2));
    assert.equal(
      (await w.handleAddCheckpoint(formatAddCheckpoint(0, [], (await other.checkpoint()).note))).status,
      404,
    );
    assert.equal((await w.handleAddCheckpoint('old x\n\n' + cp.note)).status, 400);
    assert.equal((await w.handleAddCheckpoint(formatAddCheckpoint(cp.size + 5, [], cp.note))).status, 400);
    await impostor.close();
    await other.close();
  });
});
