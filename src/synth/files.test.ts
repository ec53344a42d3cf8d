import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  DEMO_HOSPITALS,
  careRelationships,
  generatePatients,
  generateRegion,
  identifyingStrings,
  writeNdjsonFile,
  writeRegionFiles,
  type FhirResource,
  type RegionManifest,
  type TransactionBundle,
} from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'custodia-synth-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const OPTIONS = { seed: 11, patients: 30, hospitals: DEMO_HOSPITALS } as const;

describe('files', () => {
  it('writes a region as per-hospital bundle folders and a manifest that names every file', () => {
    const region = generateRegion(OPTIONS);
    const written = writeRegionFiles(region, join(dir, 'region'));
    const manifest = JSON.parse(readFileSync(join(dir, 'region', 'manifest.json'), 'utf8')) as RegionManifest;
    assert.deepEqual(manifest, JSON.parse(JSON.stringify(region.manifest)));
    let bundles = 0;
    for (const h of region.hospitals) {
      const files = readdirSync(join(dir, 'region', h.id)).sort();
      assert.equal(files[0], '00-directory.json');
      assert.equal(files.length, h.bundles.length + 1);
      bundles += files.length - 1;
    }
    assert.equal(written.length, bundles + region.hospitals.length + 1);
    for (const p of manifest.patients)
      for (const stay of p.hospitals) {
        const bundle = JSON.parse(
          readFileSync(join(dir, 'region', stay.hospitalId, `${p.key}.json`), 'utf8'),
        ) as TransactionBundle;
        assert.ok(
          bundle.entry.some((e) => e.resource.resourceType === 'Patient' && e.resource.id === stay.patientId),
        );
      }
  });

  it('streams generated people into one NDJSON file holding every resource once', async () => {
    const file = join(dir, 'ndjson', 'all.ndjson');
    const { resources, bytes } = await writeNdjsonFile(OPTIONS, file);
    const text = readFileSync(file, 'utf8');
    assert.equal(Buffer.byteLength(text), bytes);
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as FhirResource);
    assert.equal(lines.length, resources);
    const expected = [...generatePatients(OPTIONS)].reduce(
      (n, g) => n + g.records.reduce((m, r) => m + r.bundle.entry.length, 0),
      0,
    );
    assert.equal(resources, expected);
    assert.ok(!text.includes('urn:uuid:'));
  });

  it('lists care relationships that agree with the encounters', () => {
    const region = generateRegion(OPTIONS);
    const rows = careRelationships(region.manifest);
    assert.ok(rows.length >= region.manifest.patients.length);
    const doctor = rows[0]!;
    const staff = region.manifest.hospitals
      .find((h) => h.id === doctor.hospitalId)!
      .staff.find((s) => s.key === doctor.staffKey)!;
    const bundle = region.hospitals
      .find((h) => h.id === doctor.hospitalId)!
      .bundles.find((b) => b.entry.some((e) => e.resource.id === doctor.patientId))!;
    const participants = JSON.stringify(
      bundle.entry.filter((e) => e.resource.resourceType !== 'Practitioner'),
    );
    assert.ok(participants.includes(`urn:uuid:${staff.id}`));
  });
});

describe('identifying strings', () => {
  it('list every plaintext identifier of every patient, each of which occurs in the generated data', () => {
    const region = generateRegion(OPTIONS);
    const strings = identifyingStrings(region.manifest);
    const text = JSON.stringify(region.hospitals.map((h) => h.bundles));
    for (const p of region.manifest.patients) {
      assert.ok(strings.includes(p.name) && strings.includes(p.phone) && strings.includes(p.address));
      assert.ok(strings.includes(p.residentId ?? p.ssn!));
      for (const stay of p.hospitals) assert.ok(strings.includes(stay.mrn));
    }
    for (const s of strings) assert.ok(text.includes(s), `${s} is not in the data`);
  });
});
