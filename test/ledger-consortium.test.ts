/**
 * Three institutions, each a whole Custodia server on loopback with its own data directory and
 * keys: each runs a log and a witness of the other two logs, with a quorum of 2. Checkpoints get
 * cosigned over HTTP into the consortium's agreed state; a fork of hospital A's log, signed with
 * A's real key, is refused by the witnesses, who raise split-view and inconsistency alarms.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createLogger, createServer, loadConfig, openSystem, type System } from '../src/app/index.js';
import {
  CompactTree,
  ed25519NoteSigner,
  ed25519Signer,
  formatAddCheckpoint,
  leafHash,
  randomSeed,
  signCheckpoint,
  verifyCheckpoint,
  type LedgerAlarm,
} from '../src/ledger/index.js';
import { sampleEntry } from '../src/ledger/testing.js';
import { TEST_PASSWORD } from './helpers/system.js';

interface Node {
  name: string;
  dataDir: string;
  port: number;
  url: string;
  origin: string;
  logKey: string;
  witnessKey: string;
  system?: System;
  app?: FastifyInstance;
  admin?: string;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createTcpServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const env = (node: Omit<Node, 'logKey' | 'witnessKey'>, extra: Record<string, string> = {}) =>
  loadConfig(
    {
      CUSTODIA_DATA_DIR: node.dataDir,
      CUSTODIA_PORT: String(node.port),
      CUSTODIA_LEDGER_ORIGIN: node.origin,
      CUSTODIA_LOG_LEVEL: 'silent',
      ...extra,
    },
    { cwd: node.dataDir },
  );

async function adminToken(node: Node): Promise<string> {
  const { directory, tenantId } = node.system!;
  const org = await directory.createOrganization(tenantId, {
    name: `${node.name} hospital`,
    type: 'hospital',
  });
  await directory.createUser(tenantId, {
    username: 'root',
    orgId: org.id,
    roles: ['admin'],
    password: TEST_PASSWORD,
  });
  const res = await fetch(`${node.url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'root', password: TEST_PASSWORD }),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const get = (node: Node, path: string) =>
  fetch(`${node.url}${path}`, node.admin ? { headers: { authorization: `Bearer ${node.admin}` } } : {});

const cosign = async (node: Node) => {
  const res = await fetch(`${node.url}/ledger/cosign`, {
    method: 'POST',
    headers: { authorization: `Bearer ${node.admin}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()) as {
    size: number;
    agreed: boolean;
    outcomes: { witness: string; ok: boolean }[];
  };
};

const alarmsOf = async (node: Node) => (await (await get(node, '/ledger/alarms')).json()) as LedgerAlarm[];

describe('a three-institution consortium of Custodia servers', { timeout: 180_000 }, () => {
  const nodes: Node[] = [];

  before(async () => {
    for (const name of ['a', 'b', 'c']) {
      const dataDir = mkdtempSync(join(tmpdir(), `custodia-consortium-${name}-`));
      const port = await freePort();
      const base = {
        name,
        dataDir,
        port,
        url: `http://127.0.0.1:${port}`,
        origin: `hospital-${name}.test/custodia`,
      };
      // First start: creates the node's keyring, hence its log and witness keys.
      const system = await openSystem(env(base));
      nodes.push({ ...base, logKey: system.ledger.verifierKey, witnessKey: system.witness.verifierKey });
      await system.close();
    }
    for (const node of nodes) {
      const peers = nodes.filter((n) => n !== node);
      const config = env(node, {
        CUSTODIA_LEDGER_WITNESSES: peers.map((p) => `${p.witnessKey} ${p.url}/ledger/witness`).join(','),
        CUSTODIA_LEDGER_QUORUM: '2',
        CUSTODIA_LEDGER_WITNESS_FOR: peers.map((p) => p.logKey).join(','),
      });
      node.system = await openSystem(config);
      node.app = await createServer(node.system, createLogger('silent'));
      await node.app.listen({ host: '127.0.0.1', port: node.port });
      node.admin = await adminToken(node);
    }
  });

  after(async () => {
    for (const node of nodes) {
      await node.app?.close();
      await node.system?.close();
      rmSync(node.dataDir, { recursive: true, force: true });
    }
  });

  test("each log gathers a quorum of cosignatures from the others' witnesses", async () => {
    const [a, b, c] = nodes as [Node, Node, Node];
    await Promise.all(Array.from({ length: 300 }, (_, i) => a.system!.ledger.append(sampleEntry(i))));
    for (const round of [1, 2]) {
      const result = await cosign(a);
      assert.deepEqual(
        result.outcomes.map((o) => o.ok),
        [true, true],
        JSON.stringify(result),
      );
      assert.ok(result.agreed);
      const agreed = await fetch(`${a.url}/ledger/checkpoint/agreed`);
      assert.equal(agreed.status, 200);
      const info = (await (await fetch(`${a.url}/ledger`)).json()) as {
        logKey: string;
        witnesses: { key: string }[];
        quorum: number;
      };
      assert.equal(info.quorum, 2);
      const trusted = verifyCheckpoint(await agreed.text(), {
        origin: a.origin,
        logKeys: [info.logKey],
        witnesses: info.witnesses.map((w) => w.key),
        quorum: 2,
      });
      assert.ok(trusted.ok, trusted.ok ? '' : trusted.problem);
      assert.deepEqual(trusted.value.cosignatures.map((s) => s.witness.name).sort(), [
        `${b.origin}/witness`,
        `${c.origin}/witness`,
      ]);
      assert.equal(trusted.value.size, a.system!.ledger.size);
      // The second round cosigns an extension: the witnesses check it with a consistency proof.
      if (round === 1)
        await Promise.all(
          Array.from({ length: 77 }, (_, i) => a.system!.ledger.append(sampleEntry(300 + i))),
        );
    }
    // The other way round too: A's and B's witnesses cosign C's log.
    await c.system!.ledger.append(sampleEntry(1));
    assert.ok((await cosign(c)).agreed);
    assert.deepEqual(await alarmsOf(b), []);
  });

  test("a fork of A's log signed with A's key is refused by every witness and alarmed", async () => {
    const [a, b, c] = nodes as [Node, Node, Node];
    await cosign(a);
    const size = a.system!.ledger.size;
    const logKey = (await a.system!.keys.signingKey('ledger')).privateKey;
    const signer = ed25519NoteSigner(a.origin, ed25519Signer(logKey));
    const fork = (n: number) => {
      const tree = new CompactTree();
      for (let i = 0; i < n; i++) tree.append(leafHash(Buffer.from(`rewritten history ${i}`)));
      return signCheckpoint({ origin: a.origin, size: n, root: tree.root() }, signer);
    };
    const post = (node: Node, body: string) =>
      fetch(`${node.url}/ledger/witness/add-checkpoint`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body,
      });

    // Same size, other root: the witness holds the real one, so this is a split view.
    const sameSize = await post(b, formatAddCheckpoint(size, [], fork(size).note));
    assert.equal(sameSize.status, 409);
    assert.equal(sameSize.headers.get('content-type'), 'text/x.tlog.size');
    assert.equal((await sameSize.text()).trim(), String(size));
    // Larger, with a proof that cannot link it to what the witness cosigned.
    const bogusProof = Array.from({ length: 5 }, () => randomSeed());
    const larger = await post(c, formatAddCheckpoint(size, bogusProof, fork(size + 9).note));
    assert.equal(larger.status, 422);
    // Signed by someone else under A's name.
    const forger = ed25519NoteSigner(a.origin, ed25519Signer(randomSeed()));
    const forged = signCheckpoint({ origin: a.origin, size: size + 1, root: randomSeed() }, forger);
    assert.equal((await post(b, formatAddCheckpoint(size, [], forged.note))).status, 403);

    const atB = await alarmsOf(b);
    assert.deepEqual(
      atB.map((x) => [x.kind, x.origin]),
      [
        ['split-view', a.origin],
        ['bad-signature', a.origin],
      ],
    );
    assert.equal(atB[0]!.evidence.conflicting, fork(size).note);
    assert.deepEqual(
      (await alarmsOf(c)).map((x) => x.kind),
      ['inconsistent-checkpoint'],
    );
    // A, shown the fork by a peer, sees it contradicts its own entries and alarms too.
    const atA = await fetch(`${a.url}/ledger/checkpoints/check`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: fork(size).note,
    });
    assert.equal(atA.status, 409);
    assert.deepEqual(
      (await alarmsOf(a)).map((x) => x.kind),
      ['split-view'],
    );

    // Nothing was accepted: the witnesses still cosign A's real log as it grows.
    await a.system!.ledger.append(sampleEntry(999));
    const next = await cosign(a);
    assert.ok(next.agreed, JSON.stringify(next));
  });
});
