import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { generatePatients, type Region, type RegionOptions } from './generate.js';
import { toNdjson } from './ndjson.js';

/**
 * Writes a region as files that `custodia import DIR` reads: per hospital a folder with
 * `00-directory.json` (Organization and staff) and one transaction Bundle per patient, named by
 * the manifest key, plus `manifest.json` at the top. Returns the paths written.
 */
export function writeRegionFiles(region: Region, dir: string): string[] {
  const written: string[] = [];
  const keyOf = new Map<string, string>();
  for (const p of region.manifest.patients) for (const stay of p.hospitals) keyOf.set(stay.patientId, p.key);
  for (const hospital of region.hospitals) {
    const folder = join(dir, hospital.id);
    mkdirSync(folder, { recursive: true });
    const directory = join(folder, '00-directory.json');
    writeFileSync(directory, JSON.stringify(hospital.directoryBundle));
    written.push(directory);
    for (const bundle of hospital.bundles) {
      const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource;
      const file = join(folder, `${keyOf.get(patient.id!)}.json`);
      writeFileSync(file, JSON.stringify(bundle));
      written.push(file);
    }
  }
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, JSON.stringify(region.manifest, null, 2) + '\n');
  written.push(manifest);
  return written;
}

/**
 * Streams generated people into one NDJSON file (all hospitals, Bulk Data style references), with
 * flat memory and the stream's back-pressure respected. For benchmarks with a million resources.
 */
export async function writeNdjsonFile(
  options: RegionOptions,
  file: string,
): Promise<{ resources: number; bytes: number }> {
  mkdirSync(dirname(file), { recursive: true });
  const out = createWriteStream(file);
  let resources = 0;
  let bytes = 0;
  try {
    for (const { records } of generatePatients(options))
      for (const line of toNdjson(
        records.map((r) => r.bundle),
        { dedupeDirectory: false },
      )) {
        resources++;
        bytes += Buffer.byteLength(line);
        if (!out.write(line)) await once(out, 'drain');
      }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return { resources, bytes };
}
