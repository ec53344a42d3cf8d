/** The ledger's configuration keys: witnesses, quorum, witnessed logs, origin and cadence. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../src/app/index.js';
import { isCustodiaError } from '../src/core/index.js';
import {
  ed25519Cosigner,
  ed25519NoteSigner,
  ed25519Signer,
  formatVerifierKey,
  randomSeed,
} from '../src/ledger/index.js';

const witnessKey = (name: string) =>
  formatVerifierKey(ed25519Cosigner(name, ed25519Signer(randomSeed())).key);
const logKey = (origin: string) =>
  formatVerifierKey(ed25519NoteSigner(origin, ed25519Signer(randomSeed())).key);

const failsOn = (env: Record<string, string>, key: RegExp) =>
  assert.throws(
    () => loadConfig(env, { cwd: '/nonexistent' }),
    (e: unknown) => isCustodiaError(e) && e.code === 'invalid-config' && key.test(e.message),
  );

test('defaults: origin from the public URL and tenant, no witnesses, quorum 0', () => {
  const c = loadConfig({ CUSTODIA_PORT: '9090', CUSTODIA_TENANT: 'east' }, { cwd: '/nonexistent' });
  assert.equal(c.ledgerOrigin, '127.0.0.1:9090/custodia/east');
  assert.deepEqual(c.ledgerWitnesses, []);
  assert.equal(c.ledgerQuorum, 0);
  assert.equal(c.ledgerCheckpointMs, 1000);
});

test('witnesses parse, the quorum defaults to a majority and may not exceed them', () => {
  const b = witnessKey('witness.b.example/custodia');
  const c = witnessKey('witness.c.example/custodia');
  const d = witnessKey('witness.d.example/custodia');
  const env = {
    CUSTODIA_LEDGER_WITNESSES: `${b} https://b.example/ledger/witness/, ${c} https://c.example/ledger/witness,${d} http://10.0.0.4:8080/ledger/witness`,
    CUSTODIA_LEDGER_WITNESS_FOR: `${logKey('b.example/custodia')},${logKey('c.example/custodia')}`,
    CUSTODIA_LEDGER_ORIGIN: 'audit.a.example/custodia',
  };
  const config = loadConfig(env, { cwd: '/nonexistent' });
  assert.deepEqual(
    config.ledgerWitnesses.map((w) => w.url),
    [
      'https://b.example/ledger/witness',
      'https://c.example/ledger/witness',
      'http://10.0.0.4:8080/ledger/witness',
    ],
  );
  assert.equal(config.ledgerWitnesses[0]!.key, b);
  assert.equal(config.ledgerQuorum, 2);
  assert.equal(config.ledgerWitnessFor.length, 2);
  assert.equal(config.ledgerOrigin, 'audit.a.example/custodia');
  assert.equal(loadConfig({ ...env, CUSTODIA_LEDGER_QUORUM: '3' }, { cwd: '/nonexistent' }).ledgerQuorum, 3);
  failsOn({ ...env, CUSTODIA_LEDGER_QUORUM: '4' }, /ledgerQuorum/);
});

test('bad witness entries, log keys, origins and cadences stop start-up naming the key', () => {
  const b = witnessKey('witness.b.example/custodia');
  failsOn({ CUSTODIA_LEDGER_WITNESSES: b }, /CUSTODIA_LEDGER_WITNESSES/);
  failsOn({ CUSTODIA_LEDGER_WITNESSES: `${b} ftp://b.example` }, /CUSTODIA_LEDGER_WITNESSES/);
  failsOn(
    { CUSTODIA_LEDGER_WITNESSES: `${b} https://b.example,${b} https://b2.example` },
    /CUSTODIA_LEDGER_WITNESSES/,
  );
  failsOn({ CUSTODIA_LEDGER_WITNESSES: `not+a+key https://b.example` }, /CUSTODIA_LEDGER_WITNESSES/);
  failsOn({ CUSTODIA_LEDGER_WITNESS_FOR: 'b.example/custodia+12345678+AAAA' }, /CUSTODIA_LEDGER_WITNESS_FOR/);
  failsOn({ CUSTODIA_LEDGER_ORIGIN: 'has space/x' }, /CUSTODIA_LEDGER_ORIGIN/);
  failsOn({ CUSTODIA_LEDGER_CHECKPOINT_MS: '0' }, /CUSTODIA_LEDGER_CHECKPOINT_MS/);
});
