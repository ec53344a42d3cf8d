/**
 * A policy pack: Cedar files (access policies and obligation policies) checked against the schema
 * and compiled into what the decision point needs: the policies by id, their annotations (deny
 * reasons and messages, obligations), and the attributes they read (the cache key).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSchema, policyJson, splitPolicies, validatePolicies, type CedarProblem } from './cedar.js';
import { templateOf, type ObligationTemplate } from './obligations.js';
import { collectReads, emptyReadSet, type ReadSet } from './reads.js';

/** Policy files by name (`access.cedar`, ...): what is proposed, stored and versioned. */
export type PolicyFiles = Readonly<Record<string, string>>;

export interface CompiledPolicy {
  id: string;
  file: string;
  effect: 'permit' | 'forbid';
  text: string;
  annotations: Readonly<Record<string, string>>;
  /** Position in the pack: the first applying forbid names the deny reason. */
  order: number;
}

export interface CompiledPack {
  /** SHA-256 over the files (sorted by name): what the ledger records of a version. */
  digest: string;
  files: PolicyFiles;
  schema: string;
  /** Permit and forbid policies deciding access. */
  access: ReadonlyMap<string, CompiledPolicy>;
  /** Permit policies with `@obligation`, evaluated after a permit. */
  obligations: ReadonlyMap<string, CompiledPolicy & { obligation: ObligationTemplate }>;
  /** What every policy reads: the decision cache's key. */
  reads: ReadSet;
  /** What the obligation policies read: the key under which obligations are shared across decisions. */
  obligationReads: ReadSet;
}

export type PackResult = { ok: true; pack: CompiledPack } | { ok: false; problems: CedarProblem[] };

export const SCHEMA_FILE = join(import.meta.dirname, 'schema', 'custodia.cedarschema');
export const DEFAULT_PACK_DIR = join(import.meta.dirname, 'packs', 'default');

let schemaText: string | undefined;
/** Custodia's Cedar schema (read once). */
export function custodiaSchema(): string {
  schemaText ??= readFileSync(SCHEMA_FILE, 'utf8');
  return schemaText;
}

/** The `.cedar` files of a directory. */
export function readPackDir(dir: string): PolicyFiles {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir).sort())
    if (name.endsWith('.cedar')) files[name] = readFileSync(join(dir, name), 'utf8');
  return files;
}

/** The default pack shipped with Custodia (seeds 000, 002, 003, 004). */
export const defaultPolicyFiles = (): PolicyFiles => readPackDir(DEFAULT_PACK_DIR);

export function packDigest(files: PolicyFiles): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort())
    hash.update(name).update('\0').update(files[name]!).update('\0');
  return `sha256:${hash.digest('hex')}`;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Parses, validates (strict, against the schema) and compiles a pack. Any problem rejects the
 * whole pack with Cedar's messages: a pack is in force entirely or not at all.
 */
export function compilePack(files: PolicyFiles, schema: string = custodiaSchema()): PackResult {
  const schemaProblems = checkSchema(schema);
  if (schemaProblems.length > 0) return { ok: false, problems: schemaProblems };
  const names = Object.keys(files).sort();
  if (names.length === 0)
    return { ok: false, problems: [{ message: 'a policy pack needs at least one .cedar file' }] };
  const problems: CedarProblem[] = [];
  const access = new Map<string, CompiledPolicy>();
  const obligations = new Map<string, CompiledPolicy & { obligation: ObligationTemplate }>();
  const byId: Record<string, string> = {};
  const reads = emptyReadSet();
  const obligationReads = emptyReadSet();
  let order = 0;
  for (const file of names) {
    const split = splitPolicies(files[file]!, file);
    if ('problems' in split) {
      problems.push(...split.problems);
      continue;
    }
    split.policies.forEach((text, i) => {
      const json = policyJson(text);
      if (Array.isArray(json)) {
        problems.push(...json.map((p) => ({ ...p, file })));
        return;
      }
      const annotations: Record<string, string> = { ...(json.annotations ?? {}) };
      const id = annotations.id ?? `${file}#${i + 1}`;
      if (!ID.test(id))
        problems.push({
          file,
          policy: id,
          message: `@id "${id}" must be letters, digits, . _ : - (at most 128)`,
        });
      if (byId[id] !== undefined) {
        problems.push({ file, policy: id, message: `@id "${id}" is used by more than one policy` });
        return;
      }
      byId[id] = text;
      collectReads(json, reads);
      if (annotations.obligation !== undefined) collectReads(json, obligationReads);
      const compiled: CompiledPolicy = { id, file, effect: json.effect, text, annotations, order: order++ };
      if (annotations.obligation === undefined) {
        access.set(id, compiled);
        return;
      }
      if (json.effect !== 'permit') {
        problems.push({
          file,
          policy: id,
          message: 'an obligation policy must be a permit (it says when the obligation applies)',
        });
        return;
      }
      const obligation = templateOf(annotations);
      if (typeof obligation === 'string') problems.push({ file, policy: id, message: obligation });
      else obligations.set(id, { ...compiled, obligation });
    });
  }
  if (problems.length === 0)
    problems.push(
      ...validatePolicies(schema, byId).map((p) => ({
        ...p,
        file: p.policy ? (access.get(p.policy) ?? obligations.get(p.policy))?.file : undefined,
      })),
    );
  if (problems.length === 0 && ![...access.values()].some((p) => p.effect === 'permit'))
    problems.push({
      message: 'the pack permits nothing: it needs at least one permit policy without @obligation',
    });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    pack: { digest: packDigest(files), files, schema, access, obligations, reads, obligationReads },
  };
}

/** The problems as one message (Cedar's words, with where). */
export const describeProblems = (problems: readonly CedarProblem[]): string =>
  problems
    .map(
      (p) =>
        `${[p.file, p.policy].filter(Boolean).join(' ')}${p.file || p.policy ? ': ' : ''}${p.message}${p.help ? ` (${p.help})` : ''}`,
    )
    .join('; ');
