import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { rename, rm, readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, extname, join } from 'node:path';
import { csvHeader, csvLine, cellText, readRows } from './apply/table-io.js';
import type { Row, TableFormat } from './apply/table-io.js';
import { FhirDeidentifier } from './apply/fhir.js';
import type { JsonObject } from './apply/fhir.js';
import type { DeidPlan } from './config/load.js';
import { loadConfig } from './config/load.js';
import { deidError } from './errors.js';
import type { CellOperator, FreeTextDetector, OperatorEnvironment } from './operators/compile.js';
import { compileOperator } from './operators/compile.js';
import type { Tokenizer } from './operators/pseudonym.js';
import { DENY_ALL_GATE, sivTokenizer } from './operators/pseudonym.js';
import type { GradedField } from './grading.js';
import { deriveGradedFields } from './grading.js';
import { GBT_37964_STEPS, SAFE_HARBOR, SAFE_HARBOR_FHIR_RULES } from './profiles.js';
import type { AnonymizeResult } from './privacy/anonymize.js';
import { anonymize } from './privacy/anonymize.js';
import type { PrivacyCriterion } from './privacy/criteria.js';
import type { EncodedTable } from './privacy/encode.js';
import { TableEncoder } from './privacy/encode.js';
import type { PopulationTable } from './privacy/measures.js';
import { generalizedValue } from './privacy/recoding.js';
import type { DeidReport } from './report/types.js';

export interface DeidProgress {
  phase: 'scan' | 'anonymize' | 'write';
  rows: number;
  /** Known once the input has been scanned. */
  totalRows?: number;
}

export interface RunDeidOptions {
  configPath: string;
  inputPath: string;
  outputPath: string;
  onProgress?: (progress: DeidProgress) => void;
  /** The per-project key; otherwise keys.project of the profile is resolved. */
  key?: Uint8Array;
  /** A reversible tokenizer (e.g. a TokenVault whose re-identification is audited). */
  tokenizer?: Tokenizer;
  /** The classification module's PHI detector for free-text fields. */
  detector?: FreeTextDetector;
  /** Where `env:NAME` key references are looked up (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  now?: () => number;
}

/** Reads `env:NAME` / `file:path` key references; accepts hex or base64. Never logs the key. */
export function resolveKeyRef(
  ref: string,
  env: Readonly<Record<string, string | undefined>>,
  what: string,
): Uint8Array {
  let text: string | undefined;
  if (ref.startsWith('env:')) text = env[ref.slice(4)];
  else {
    try {
      text = readFileSync(ref.slice(5), 'utf8');
    } catch {
      text = undefined;
    }
  }
  if (text === undefined || text.trim() === '') {
    throw deidError(`keys.${what}: ${ref} is not set`, `keys.${what}：${ref} 未设置`, {
      path: `keys.${what}`,
      hint: 'provide 32 random bytes, hex or base64 (openssl rand -base64 32)',
    });
  }
  const t = text.trim();
  return /^[0-9a-fA-F]{64,}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
}

function formatOf(path: string, plan: DeidPlan): DeidReport['format'] {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json') return 'fhir-bundle';
  if (ext === '.ndjson' || ext === '.jsonl') {
    return plan.fhirRules.length > 0 && plan.fields.size === 0 && plan.privacy === undefined
      ? 'fhir-ndjson'
      : 'ndjson';
  }
  throw deidError(
    `cannot tell the format of ${basename(path)}: use .csv, .ndjson or .json (FHIR Bundle)`,
    `无法识别 ${basename(path)} 的格式：请使用 .csv、.ndjson 或 .json（FHIR Bundle）`,
    { path: 'input' },
  );
}

/** Writes through a temp file in the target directory and renames it at the end: never half-written. */
class AtomicWriter {
  readonly temp: string;
  readonly #stream;
  constructor(readonly target: string) {
    this.temp = join(
      dirname(target),
      `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
    );
    this.#stream = createWriteStream(this.temp, { flags: 'wx' });
    this.#stream.on('error', (e) => (this.#error ??= e));
  }
  #error: Error | undefined;
  async write(chunk: string): Promise<void> {
    if (this.#error) throw this.#error;
    if (!this.#stream.write(chunk)) await once(this.#stream, 'drain');
  }
  async commit(): Promise<void> {
    this.#stream.end();
    await once(this.#stream, 'finish');
    if (this.#error) throw this.#error;
    await rename(this.temp, this.target);
  }
  async abort(): Promise<void> {
    if (!this.#stream.destroyed) {
      const closed = once(this.#stream, 'close');
      this.#stream.destroy();
      await closed.catch(() => undefined);
    }
    await rm(this.temp, { force: true });
  }
}

function describe(spec: { op: string } & Record<string, unknown>): string {
  const { op, ...rest } = spec;
  const opts = Object.entries(rest)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  return opts === '' ? op : `${op} (${opts})`;
}

function criterionLabel(c: PrivacyCriterion): string {
  switch (c.kind) {
    case 'k-anonymity':
      return `${c.k}-anonymity`;
    case 'distinct-l-diversity':
      return `distinct ${c.l}-diversity on ${c.attribute}`;
    case 'entropy-l-diversity':
      return `entropy ${c.l}-diversity on ${c.attribute}`;
    case 't-closeness':
      return `${c.t}-closeness (${c.distance}) on ${c.attribute}`;
  }
}

/**
 * Runs a de-identification profile over a file: `custodia deid --config CONFIG INPUT OUTPUT`.
 * Everything that can be checked is checked before the output is opened; the output appears
 * only when complete.
 */
export async function runDeid(options: RunDeidOptions): Promise<DeidReport> {
  const now = options.now ?? Date.now;
  const started = now();
  const plan = loadConfig(options.configPath);
  const format = formatOf(options.inputPath, plan);
  const env = options.env ?? process.env;
  const key =
    options.key ?? (plan.keys.project ? resolveKeyRef(plan.keys.project, env, 'project') : undefined);
  const tokenizer =
    options.tokenizer ??
    (plan.keys.tokens
      ? // Tokens made by a file run are reversed only where a real gate (policy + ledger) is wired.
        sivTokenizer(resolveKeyRef(plan.keys.tokens, env, 'tokens'), DENY_ALL_GATE, plan.profile)
      : undefined);
  const opEnv: OperatorEnvironment = {
    key,
    tokenizer,
    hierarchies: plan.hierarchies,
    detector: options.detector,
    referenceDate: plan.referenceDate ?? new Date(started).toISOString().slice(0, 10),
  };
  const base: Omit<DeidReport, 'format' | 'rows' | 'fields' | 'droppedFields' | 'finishedAt' | 'durationMs'> =
    {
      tool: 'custodia-deid',
      reportVersion: 1,
      profile: plan.profile,
      input: basename(options.inputPath),
      output: basename(options.outputPath),
      startedAt: new Date(started).toISOString(),
    };
  const report =
    format === 'fhir-bundle' || format === 'fhir-ndjson'
      ? await runFhir(plan, opEnv, options, format, base)
      : await runTable(plan, opEnv, options, format, base);
  const finished = now();
  report.finishedAt = new Date(finished).toISOString();
  report.durationMs = finished - started;
  addProfileSections(report, plan);
  return report;
}

async function runFhir(
  plan: DeidPlan,
  env: OperatorEnvironment,
  options: RunDeidOptions,
  format: 'fhir-bundle' | 'fhir-ndjson',
  base: Omit<DeidReport, 'format' | 'rows' | 'fields' | 'droppedFields' | 'finishedAt' | 'durationMs'>,
): Promise<DeidReport> {
  const rules =
    plan.fhirRules.length > 0
      ? plan.fhirRules
      : plan.profile === 'hipaa-safe-harbor'
        ? [...SAFE_HARBOR_FHIR_RULES]
        : [];
  if (rules.length === 0) {
    throw deidError(
      'the profile has no fhir.rules to apply to FHIR resources',
      '配置中没有可用于 FHIR 资源的 fhir.rules',
      {
        path: 'fhir.rules',
      },
    );
  }
  const deid = new FhirDeidentifier(rules, env);
  let resources = 0;
  const out = new AtomicWriter(options.outputPath);
  try {
    if (format === 'fhir-bundle') {
      let doc: JsonObject;
      try {
        doc = JSON.parse(await readFile(options.inputPath, 'utf8')) as JsonObject;
      } catch {
        throw deidError(`${base.input} is not valid JSON`, `${base.input} 不是有效的 JSON`, {
          path: 'input',
        });
      }
      if (typeof doc !== 'object' || doc === null || typeof doc.resourceType !== 'string') {
        throw deidError(
          `${base.input} is not a FHIR resource or Bundle`,
          `${base.input} 不是 FHIR 资源或 Bundle`,
          { path: 'input' },
        );
      }
      resources = Array.isArray(doc.entry) ? doc.entry.length : 1;
      deid.apply(doc);
      await out.write(JSON.stringify(doc, null, 2) + '\n');
      options.onProgress?.({ phase: 'write', rows: resources, totalRows: resources });
    } else {
      for await (const row of readRows(options.inputPath, 'ndjson')) {
        deid.apply(row as JsonObject);
        await out.write(JSON.stringify(row) + '\n');
        if (++resources % 1000 === 0) options.onProgress?.({ phase: 'write', rows: resources });
      }
    }
    await out.commit();
  } catch (e) {
    await out.abort();
    throw e;
  }
  return {
    ...base,
    format,
    finishedAt: '',
    durationMs: 0,
    rows: { read: resources, written: resources, suppressed: 0 },
    fields: [],
    droppedFields: [],
    fhir: {
      resources,
      rules: rules.map((r) => ({
        path: r.path,
        operator: describe(r.operator),
        elements: deid.counts.get(r.path) ?? 0,
      })),
    },
  };
}

async function columnsOf(path: string, format: TableFormat): Promise<{ columns: string[]; rows?: number }> {
  if (format === 'csv') return { columns: await csvHeader(path) };
  const seen = new Set<string>();
  let rows = 0;
  for await (const row of readRows(path, 'ndjson')) {
    rows++;
    for (const k of Object.keys(row)) seen.add(k);
  }
  return { columns: [...seen], rows };
}

async function loadPopulation(path: string): Promise<PopulationTable> {
  const rows: PopulationTable['rows'][number][] = [];
  for await (const row of readRows(path, 'csv')) {
    const { count, ...values } = row as Record<string, string>;
    const n = Number(count);
    if (!Number.isFinite(n) || n < 0) {
      throw deidError(
        `population table ${basename(path)} needs a numeric "count" column`,
        `人口表 ${basename(path)} 需要数值型“count”列`,
        {
          path: 'privacy.population',
        },
      );
    }
    rows.push({ values, count: n });
  }
  return { rows };
}

async function runTable(
  plan: DeidPlan,
  env: OperatorEnvironment,
  options: RunDeidOptions,
  format: TableFormat,
  base: Omit<DeidReport, 'format' | 'rows' | 'fields' | 'droppedFields' | 'finishedAt' | 'durationMs'>,
): Promise<DeidReport> {
  const scanned = await columnsOf(options.inputPath, format);
  const columns = scanned.columns;
  const present = new Set(columns);
  const named = new Set<string>([...plan.fields.keys()]);
  for (const f of Object.keys(plan.grading?.grades ?? {})) named.add(f);
  if (plan.patientKey) named.add(plan.patientKey);
  for (const q of plan.privacy?.quasiIdentifiers ?? []) named.add(q.name);
  for (const s of plan.privacy?.sensitive ?? []) named.add(s);
  const unknown = [...named].filter((f) => !present.has(f));
  if (unknown.length > 0) {
    throw deidError(
      `the profile names field${unknown.length > 1 ? 's' : ''} ${unknown.map((f) => `"${f}"`).join(', ')} that the input does not have (columns: ${columns.join(', ')})`,
      `配置中的字段 ${unknown.map((f) => `“${f}”`).join('、')} 在输入数据中不存在`,
      { path: `fields.${unknown[0]}` },
    );
  }
  // Grading profiles: columns the profile does not list get operators from their grade.
  const fields = new Map(plan.fields);
  let graded: GradedField[] | undefined;
  if (plan.grading) {
    const listed = new Set<string>([...fields.keys()]);
    if (plan.patientKey) listed.add(plan.patientKey);
    graded = await deriveGradedFields(plan.grading, columns, readRows(options.inputPath, format), listed);
    for (const g of graded) fields.set(g.name, g.operator);
  }
  const unlisted = columns.filter((c) => !fields.has(c) && c !== plan.patientKey);
  if (unlisted.length > 0 && plan.unlisted === 'error') {
    throw deidError(
      `input field${unlisted.length > 1 ? 's' : ''} ${unlisted.map((f) => `"${f}"`).join(', ')} not covered by the profile`,
      `输入字段 ${unlisted.map((f) => `“${f}”`).join('、')} 未在配置中列出`,
      { path: 'fields', hint: 'list every field (op: keep for harmless ones) or set unlisted: keep / drop' },
    );
  }
  const ops = new Map<string, CellOperator>();
  for (const [field, spec] of fields) ops.set(field, compileOperator(spec, env, `fields.${field}`));
  const dropped = plan.unlisted === 'drop' ? unlisted : [];
  const removed = new Set([
    ...dropped,
    ...[...fields].filter(([, s]) => s.op === 'redact' && s.remove === true).map(([f]) => f),
  ]);
  const outColumns = columns.filter((c) => !removed.has(c));

  // Pass 1 (only with privacy models): the quasi-identifier and sensitive columns as integers.
  let table: EncodedTable | undefined;
  let anon: AnonymizeResult | undefined;
  const privacy = plan.privacy;
  if (privacy) {
    const encoder = new TableEncoder(
      privacy.quasiIdentifiers.map((q) => ({ name: q.name, hierarchy: q.hierarchy })),
      privacy.sensitive,
    );
    let n = 0;
    for await (const row of readRows(options.inputPath, format)) {
      encoder.add((c) => cellText(row[c]));
      if (++n % 10_000 === 0) options.onProgress?.({ phase: 'scan', rows: n });
    }
    table = encoder.finish();
    options.onProgress?.({ phase: 'anonymize', rows: 0, totalRows: table.rows });
    const population = privacy.population ? await loadPopulation(privacy.population) : undefined;
    const maxLevels = privacy.quasiIdentifiers.map((q) => q.maxLevel ?? q.hierarchy.height - 1);
    anon = anonymize(table, {
      criteria: privacy.criteria,
      suppressionLimit: privacy.suppressionLimit,
      metric: privacy.metric,
      recoding: privacy.recoding,
      maxLevels,
      ...(population ? { population } : {}),
    });
  }
  const qiIndex = new Map((privacy?.quasiIdentifiers ?? []).map((q, i) => [q.name, i]));
  const totalRows = table?.rows ?? scanned.rows;

  const out = new AtomicWriter(options.outputPath);
  let read = 0;
  let written = 0;
  let suppressed = 0;
  try {
    if (format === 'csv') await out.write(csvLine(outColumns));
    for await (const row of readRows(options.inputPath, format)) {
      const r = read++;
      const isSuppressed = anon !== undefined && anon.recoding.suppressed[r] === 1;
      if (isSuppressed) {
        suppressed++;
        if (privacy!.suppressedRows === 'drop') continue;
      }
      const ctx = { patientKey: plan.patientKey ? cellText(row[plan.patientKey]) : undefined };
      const cells: string[] = [];
      const obj: Row = {};
      for (const c of outColumns) {
        const raw = row[c];
        let value: unknown;
        const qi = qiIndex.get(c);
        if (qi !== undefined && table && anon) {
          value = isSuppressed ? '*' : generalizedValue(table, anon.recoding, qi, r);
        } else {
          const op = ops.get(c);
          // Kept NDJSON values keep their JSON type; operators work on the text form.
          value = op === undefined || fields.get(c)?.op === 'keep' ? raw : op(cellText(raw), ctx);
        }
        if (format === 'csv') cells.push(cellText(value));
        else if (value !== undefined && (raw !== undefined || value !== '')) obj[c] = value;
      }
      await out.write(format === 'csv' ? csvLine(cells) : JSON.stringify(obj) + '\n');
      written++;
      if (written % 10_000 === 0)
        options.onProgress?.({ phase: 'write', rows: written, ...(totalRows ? { totalRows } : {}) });
    }
    await out.commit();
  } catch (e) {
    await out.abort();
    throw e;
  }
  options.onProgress?.({ phase: 'write', rows: written, totalRows: read });

  const report: DeidReport = {
    ...base,
    format,
    finishedAt: '',
    durationMs: 0,
    rows: { read, written, suppressed },
    fields: outColumns.map((name) => {
      const q = privacy?.quasiIdentifiers.find((x) => x.name === name);
      const spec = fields.get(name);
      const operator = q
        ? `generalize (${q.hierarchy.name}${anon?.levels ? `, level ${anon.levels[qiIndex.get(name)!]}` : ', local recoding'})`
        : spec
          ? describe(spec as { op: string } & Record<string, unknown>)
          : name === plan.patientKey
            ? 'keep (patient key)'
            : 'keep (unlisted)';
      const role = plan.roles[name];
      return role ? { name, operator, role } : { name, operator };
    }),
    droppedFields: [...removed],
  };
  if (plan.grading && graded) {
    report.grading = {
      scheme: plan.grading.scheme.id,
      release: plan.grading.release,
      fields: graded.map((g) => ({
        name: g.name,
        grade: g.grade,
        gradeSource: g.gradeSource,
        identifierType: g.identifierType,
        operator: describe(g.operator as { op: string } & Record<string, unknown>),
        reason: g.reason,
      })),
    };
  }
  if (privacy && anon && table) {
    report.privacy = {
      criteria: privacy.criteria.map(criterionLabel),
      suppressionLimit: privacy.suppressionLimit,
      metric: privacy.metric,
      recoding: privacy.recoding,
      before: anon.before,
      after: anon.after,
      verification: anon.verification,
    };
    if (anon.levels) {
      report.privacy.levels = anon.levels.map((level, i) => {
        const q = privacy.quasiIdentifiers[i]!;
        return { attribute: q.name, level, name: q.hierarchy.levelNames?.[level] ?? `level ${level}` };
      });
    }
    if (anon.search) report.privacy.search = anon.search;
  }
  return report;
}

function addProfileSections(report: DeidReport, plan: DeidPlan): void {
  if (plan.profile === 'hipaa-safe-harbor') {
    const covered = new Map<string, string[]>();
    for (const f of report.fields) {
      const spec = plan.fields.get(f.name);
      if (spec === undefined) continue;
      for (const [id, entry] of Object.entries(SAFE_HARBOR)) {
        if (JSON.stringify(entry.operator) === JSON.stringify(spec) && f.role === 'direct') {
          covered.set(id, [...(covered.get(id) ?? []), f.name]);
          break;
        }
      }
    }
    for (const r of report.fhir?.rules ?? []) {
      const hit = Object.entries(SAFE_HARBOR).find(
        ([, e]) => describe(e.operator as { op: string }) === r.operator,
      );
      if (hit && r.elements > 0) covered.set(hit[0], [...(covered.get(hit[0]) ?? []), r.path]);
    }
    report.safeHarbor = Object.entries(SAFE_HARBOR).map(([identifier, e]) => ({
      n: e.n,
      identifier,
      en: e.en,
      zh: e.zh,
      covered: covered.get(identifier) ?? [],
    }));
  }
  if (plan.profile === 'gbt-37964') {
    const byRole = (role: string) =>
      Object.entries(plan.roles)
        .filter(([, r]) => r === role)
        .map(([f]) => f)
        .join(', ') || '—';
    const v = report.privacy?.verification ?? [];
    const detail: Record<string, string> = {
      goals: `${report.privacy ? report.privacy.criteria.join('; ') : 'no formal model'}; suppression ≤ ${((report.privacy?.suppressionLimit ?? 0) * 100).toFixed(1)}%`,
      identify: `direct 直接标识符: ${byRole('direct')}; quasi 准标识符: ${byRole('quasi')}; sensitive 敏感属性: ${byRole('sensitive')}`,
      process: report.fields.map((f) => `${f.name}: ${f.operator}`).join('; '),
      verify:
        v.length === 0
          ? 'no privacy model to verify'
          : v
              .map((x) => `${x.criterion}: ${x.holds ? 'holds 满足' : `FAILS 不满足 (${x.failingClasses})`}`)
              .join('; '),
    };
    report.process = GBT_37964_STEPS.map((s) => ({
      step: s.key,
      zh: s.zh,
      en: s.en,
      detail: detail[s.key]!,
    }));
  }
}
