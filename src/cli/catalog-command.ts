import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { CustodiaError, isCustodiaError } from '../core/index.js';
import {
  ASSET_KINDS,
  UPDATE_FREQUENCIES,
  type Asset,
  type AssetKind,
  type FieldDecisionInput,
  type RelabelJob,
  type UpdateFrequency,
} from '../catalog/index.js';
import { IDENTIFIER_TYPES, discoverCsv, getGrade, getScheme } from '../classify/index.js';
import type { AuditEntry } from '../ledger/index.js';
import type { CommandContext, Runtime } from './runtime.js';

type Out = (line: string) => void;

/** Who acts from the console: the operating-system user, as the catalog and the ledger record it. */
const operatorId = () => `cli:${safeUser()}`;
const ORGANIZATION = 'local-operator';

function safeUser(): string {
  try {
    return userInfo().username.replace(/[^A-Za-z0-9._-]/g, '_') || 'operator';
  } catch {
    return 'operator';
  }
}

/** Records a console change in the ledger (ids and counts only). */
async function record(
  ctx: CommandContext,
  entry: {
    kind: 'write' | 'read' | 'policy-change';
    action: string;
    assets?: string[];
    resources?: string[];
    reason?: string;
  },
): Promise<void> {
  const { assets, ...rest } = entry;
  const resources = [...(rest.resources ?? []), ...(assets ?? []).map((a) => `CatalogAsset/${a}`)];
  await ctx.ledger.append({
    ...rest,
    ...(entry.kind === 'write' ? { operation: 'update' } : {}),
    actor: operatorId(),
    organization: ORGANIZATION,
    targets: [],
    decision: 'permit',
    time: Date.now(),
    ...(resources.length > 0 ? { resources } : {}),
  } as unknown as AuditEntry);
}

/** An asset by id, by key (`fhir:Observation`) or by its exact name. */
async function findAsset(ctx: CommandContext, ref: string): Promise<Asset> {
  const t = ctx.tenantId;
  try {
    return await ctx.catalog.getAsset(t, ref);
  } catch (e) {
    if (!isCustodiaError(e) || e.code !== 'not-found') throw e;
  }
  const byKey = await ctx.catalog.findByKey(t, ref);
  if (byKey) return byKey;
  const byName = (await ctx.catalog.listAssets(t)).filter((a) => a.name === ref);
  if (byName.length === 1) return byName[0]!;
  throw new CustodiaError(
    'not-found',
    `no asset "${ref}" in the catalog${byName.length > 1 ? ' (the name is not unique: give the id)' : ''}`,
    {
      zh: `数据资产台账中没有资产“${ref}”`,
      hint: 'give its id, key or exact name, as `custodia catalog list` shows them',
    },
  );
}

const gradeText = (a: Pick<Asset, 'sensitivity'>) =>
  a.sensitivity ? `${a.sensitivity.scheme}:${a.sensitivity.grade}` : 'ungraded';

function printAsset(a: Asset, out: Out): void {
  out(`${a.name}  (${a.kind}, ${a.status}, version ${a.version})`);
  const rows: [string, string][] = [
    ['id / 编号', a.id],
    ['key / 键', a.naturalKey ?? ''],
    ['source / 来源', a.source],
    ['purpose / 用途', a.purpose],
    ['location / 存储位置', a.storageLocation],
    ['volume / 数据量级', `${a.volume.count} ${a.volume.unit}`],
    ['frequency / 更新频率', a.updateFrequency],
    ['owner / 责任人', a.responsiblePerson],
    ['sensitivity / 敏感度', gradeText(a)],
    ['updated / 更新', `${new Date(a.updatedAt).toISOString()} by ${a.updatedBy}`],
  ];
  if (Object.keys(a.gradeCounts).length > 0)
    rows.push([
      'per grade / 分级计数',
      Object.entries(a.gradeCounts)
        .map(([g, n]) => `${g}=${n}`)
        .join(', '),
    ]);
  for (const [k, v] of rows) if (v) out(`  ${k.padEnd(22)} ${v}`);
  if (a.fields.length > 0) {
    out('  fields / 字段:');
    for (const f of a.fields)
      out(
        `    ${f.name.padEnd(16)} ${(f.identifierType ?? '-').padEnd(16)} ${(f.grade ? f.grade.grade : '-').padEnd(10)} ${f.status}${
          f.confidence !== undefined ? ` (confidence ${f.confidence})` : ''
        }${f.decidedBy ? ` by ${f.decidedBy}` : ''}${f.labels && f.labels.length > 0 ? ` [${f.labels.join(',')}]` : ''}`,
      );
  }
}

export function addCatalogCommands(
  program: Command,
  rt: Runtime,
  configFile: () => string | undefined,
  out: Out,
): void {
  const withCtx = <T>(work: (ctx: CommandContext) => Promise<T>) => rt.withContext(configFile(), work);
  const catalog = program.command('catalog').description('the data asset catalog (数据资产台账)');

  catalog
    .command('list')
    .description('list data assets; the clinical store’s collections are brought up to date first')
    .addOption(new Option('--kind <kind>', 'only this kind').choices([...ASSET_KINDS]))
    .option('--grade <grade>', 'only assets of this grade (of the tenant’s scheme)')
    .option('--retired', 'retired assets instead of active ones', false)
    .action(async (o: { kind?: string; grade?: string; retired: boolean }) => {
      const assets = await withCtx(async (ctx) => {
        await ctx.collections.refresh();
        if (o.grade) getGrade(await ctx.catalog.tenantScheme(ctx.tenantId), o.grade);
        return ctx.catalog.listAssets(ctx.tenantId, {
          status: o.retired ? 'retired' : 'active',
          ...(o.kind ? { kind: o.kind } : {}),
          ...(o.grade ? { grade: o.grade } : {}),
        });
      });
      for (const a of assets)
        out(
          `${a.id}  ${a.kind.padEnd(15)}  ${gradeText(a).padEnd(24)}  ${String(a.volume.count).padStart(9)} ${a.volume.unit.padEnd(9)}  ${a.name}`,
        );
      out(`${assets.length} asset(s) / 共 ${assets.length} 项资产`);
    });

  catalog
    .command('show')
    .description('one asset: its dimensions and field-level schema')
    .argument('<asset>', 'id, key (fhir:Patient) or exact name')
    .action(async (ref: string) => {
      const a = await withCtx(async (ctx) => {
        await ctx.collections.refresh();
        return findAsset(ctx, ref);
      });
      printAsset(a, out);
    });

  catalog
    .command('register')
    .description('register a data asset with the dimensions of the asset ledger (登记数据资产)')
    .addOption(new Option('--kind <kind>', 'asset kind').choices([...ASSET_KINDS]).makeOptionMandatory())
    .requiredOption('--name <name>', 'name (资产名称)')
    .requiredOption('--source <source>', 'where the data comes from (数据来源)')
    .requiredOption('--purpose <purpose>', 'what it is used for (用途)')
    .requiredOption('--location <location>', 'where it is stored (存储位置)')
    .addOption(
      new Option('--frequency <f>', 'update frequency (更新频率)')
        .choices([...UPDATE_FREQUENCIES])
        .makeOptionMandatory(),
    )
    .requiredOption('--owner <person>', 'the responsible person (数据责任人)')
    .option('--description <text>', 'description')
    .option('--volume <n>', 'number of records (数据量级)')
    .option('--unit <unit>', 'unit of the volume', 'records')
    .option('--grade <grade>', 'sensitivity: a grade of the tenant’s scheme')
    .action(
      async (o: {
        kind: AssetKind;
        name: string;
        source: string;
        purpose: string;
        location: string;
        frequency: UpdateFrequency;
        owner: string;
        description?: string;
        volume?: string;
        unit: string;
        grade?: string;
      }) => {
        const count = o.volume === undefined ? 0 : Number(o.volume);
        if (!Number.isSafeInteger(count) || count < 0)
          throw new CustodiaError(
            'bad-request',
            `--volume must be a non-negative integer, not "${o.volume}"`,
            {
              zh: '数据量级必须为非负整数',
            },
          );
        const a = await withCtx(async (ctx) => {
          const scheme = await ctx.catalog.tenantScheme(ctx.tenantId);
          const created = await ctx.catalog.registerAsset(
            ctx.tenantId,
            {
              kind: o.kind,
              name: o.name,
              source: o.source,
              purpose: o.purpose,
              storageLocation: o.location,
              updateFrequency: o.frequency,
              responsiblePerson: o.owner,
              volume: { count, unit: o.unit },
              ...(o.description ? { description: o.description } : {}),
              ...(o.grade ? { sensitivity: { scheme, grade: o.grade } } : {}),
            },
            operatorId(),
          );
          await record(ctx, { kind: 'write', action: 'catalog.asset.register', assets: [created.id] });
          return created;
        });
        out(`registered ${a.id} ${a.name} / 已登记`);
      },
    );

  catalog
    .command('lineage')
    .description(
      'show where an asset comes from and what was derived from it; with --derived-from, record an edge',
    )
    .argument('<asset>', 'id, key or exact name')
    .option('--derived-from <asset>', 'record that <asset> was derived from this one')
    .option('--activity <text>', 'what derived it (an extract, a de-identification run, a join)')
    .action(async (ref: string, o: { derivedFrom?: string; activity?: string }) => {
      if (o.derivedFrom && !o.activity)
        throw new CustodiaError('bad-request', '--derived-from needs --activity (what derived the asset)', {
          zh: '请用 --activity 说明派生方式',
        });
      const g = await withCtx(async (ctx) => {
        const a = await findAsset(ctx, ref);
        if (o.derivedFrom) {
          const from = await findAsset(ctx, o.derivedFrom);
          await ctx.catalog.addLineage(ctx.tenantId, from.id, a.id, o.activity!, operatorId());
          await record(ctx, { kind: 'write', action: 'catalog.lineage.add', assets: [from.id, a.id] });
        }
        return {
          a,
          up: await ctx.catalog.lineage(ctx.tenantId, a.id, 'ancestors'),
          down: await ctx.catalog.lineage(ctx.tenantId, a.id, 'descendants'),
        };
      });
      out(`${g.a.name} (${g.a.id})`);
      out('  derived from / 来源:');
      for (const n of g.up)
        out(`    ${'  '.repeat(n.depth - 1)}← ${n.asset.name} (${n.asset.id}, ${gradeText(n.asset)})`);
      if (g.up.length === 0) out('    (none / 无)');
      out('  derived to / 派生:');
      for (const n of g.down)
        out(`    ${'  '.repeat(n.depth - 1)}→ ${n.asset.name} (${n.asset.id}, ${gradeText(n.asset)})`);
      if (g.down.length === 0) out('    (none / 无)');
    });

  catalog
    .command('history')
    .description('the change history of an asset: who changed what, when')
    .argument('<asset>', 'id, key or exact name')
    .action(async (ref: string) => {
      const versions = await withCtx(async (ctx) =>
        ctx.catalog.history(ctx.tenantId, (await findAsset(ctx, ref)).id),
      );
      for (const v of versions)
        out(
          `v${v.version}  ${new Date(v.changedAt).toISOString()}  ${v.action.padEnd(14)}  ${v.changedBy}  ${Object.keys(v.changes).join(', ')}`,
        );
    });

  catalog
    .command('inventory')
    .description('the inventory report (清查登记表) as CSV or JSON')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .option('--out <file>', 'write to this file instead of standard output')
    .option('--include-retired', 'include retired assets', false)
    .action(async (o: { format: 'csv' | 'json'; out?: string; includeRetired: boolean }) => {
      const text = await withCtx(async (ctx) => {
        await ctx.collections.refresh();
        const options = { includeRetired: o.includeRetired };
        const inventory = await ctx.catalog.inventory(ctx.tenantId, options);
        const body =
          o.format === 'csv'
            ? await ctx.catalog.inventoryCsv(ctx.tenantId, options)
            : JSON.stringify(inventory, null, 2) + '\n';
        await record(ctx, {
          kind: 'read',
          action: 'catalog.inventory.read',
          reason: `format ${o.format}, ${inventory.totals.assets} assets`,
        });
        return { body, assets: inventory.totals.assets };
      });
      if (o.out) {
        writeFileSync(resolve(o.out), text.body);
        out(`inventory of ${text.assets} asset(s) written to ${o.out} / 清查登记表已写入`);
      } else process.stdout.write(text.body);
    });

  catalog
    .command('discover')
    .description('detect identifying columns of a CSV file and store the proposals on an asset’s fields')
    .argument('<file>', 'a CSV file, first line the headers')
    .requiredOption('--asset <asset>', 'the asset the table belongs to (id, key or exact name)')
    .option('--scheme <scheme>', 'grading scheme of the proposals (default: the tenant’s)')
    .option('--delimiter <char>', 'field delimiter', ',')
    .action(async (file: string, o: { asset: string; scheme?: string; delimiter: string }) => {
      const path = resolve(file);
      try {
        if (!statSync(path).isFile()) throw new Error('not a file');
      } catch {
        throw new CustodiaError('not-found', `cannot read ${file}`, {
          zh: `无法读取文件 ${file}`,
          hint: 'give the path of a CSV file',
        });
      }
      const { asset, report } = await withCtx(async (ctx) => {
        const a = await findAsset(ctx, o.asset);
        const scheme = getScheme(o.scheme ?? (await ctx.catalog.tenantScheme(ctx.tenantId)));
        const found = await discoverCsv(createReadStream(path), { scheme, delimiter: o.delimiter });
        const updated = await ctx.catalog.recordDiscovery(ctx.tenantId, a.id, found, operatorId());
        await record(ctx, {
          kind: 'write',
          action: 'catalog.asset.discover',
          assets: [a.id],
          reason: `${found.columns.length} columns, ${found.rows} rows, scheme ${found.scheme}`,
        });
        return { asset: updated, report: found };
      });
      out(
        `${report.rows} rows, ${report.columns.length} columns, scheme ${report.scheme} / 共 ${report.rows} 行`,
      );
      out(
        `  ${'column'.padEnd(16)} ${'type'.padEnd(16)} ${'kind'.padEnd(7)} conf.  grade       evidence (values, header)`,
      );
      for (const c of report.columns) {
        const best = c.candidates[0];
        out(
          `  ${c.header.padEnd(16)} ${c.proposedType.padEnd(16)} ${c.kind.padEnd(7)} ${c.confidence.toFixed(2)}   ${c.grade.grade.padEnd(11)} ${
            best ? `${best.valueEvidence.toFixed(2)}, ${best.headerEvidence.toFixed(2)}` : '-'
          }${c.sensitivity.length > 0 ? ` [${c.sensitivity.join(',')}]` : ''}  e.g. ${c.examples.join(' ')}`,
        );
      }
      out(
        `proposals stored on ${asset.name} (${asset.id}); confirm or override with custodia catalog confirm|override`,
      );
    });

  /** A steward's decision on one field, recorded in the ledger (`catalog.field.confirm|override`). */
  const decideField = (ref: string, field: string, decision: FieldDecisionInput) =>
    withCtx(async (ctx) => {
      const a = await findAsset(ctx, ref);
      const result = await ctx.catalog.decideField(ctx.tenantId, a.id, field, decision, operatorId());
      await record(ctx, {
        kind: 'write',
        action: `catalog.field.${decision.action}`,
        assets: [a.id],
        reason: `field decision ${result.decision.id}`,
      });
      return result.decision;
    });

  catalog
    .command('confirm')
    .description('a data steward confirms a field’s proposed identifier type and grade')
    .argument('<asset>', 'id, key or exact name')
    .argument('<field>', 'the field (column) name')
    .option('--reason <text>', 'why', 'confirmed as proposed (按建议确认)')
    .action(async (ref: string, field: string, o: { reason: string }) => {
      const r = await decideField(ref, field, { action: 'confirm', reason: o.reason });
      out(
        `${field}: confirmed ${r.decided.identifierType ?? '-'} ${r.decided.grade ?? ''} by ${r.decidedBy} at ${new Date(r.decidedAt).toISOString()}`,
      );
    });

  catalog
    .command('override')
    .description(
      'a data steward overrides a field’s proposed identifier type, grade or labels (a reason is required)',
    )
    .argument('<asset>', 'id, key or exact name')
    .argument('<field>', 'the field (column) name')
    .requiredOption('--reason <text>', 'why the proposal is wrong (required)')
    .option('--type <type>', `identifier type: none, ${IDENTIFIER_TYPES.join(', ')}`)
    .option('--grade <grade>', 'a grade of the field’s scheme')
    .option('--labels <codes>', 'comma-separated HL7 sensitivity codes (HIV,PSY,...)')
    .action(
      async (
        ref: string,
        field: string,
        o: { reason: string; type?: string; grade?: string; labels?: string },
      ) => {
        const r = await decideField(ref, field, {
          action: 'override',
          reason: o.reason,
          ...(o.type ? { identifierType: o.type } : {}),
          ...(o.grade ? { grade: o.grade } : {}),
          ...(o.labels !== undefined
            ? {
                labels: o.labels
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
              }
            : {}),
        });
        out(
          `${field}: overridden to ${r.decided.identifierType ?? '-'} ${r.decided.grade ?? ''} by ${r.decidedBy} at ${new Date(r.decidedAt).toISOString()} / 已更正`,
        );
      },
    );

  catalog
    .command('refresh')
    .description('bring the clinical store’s collection assets (volumes, grades) up to date now')
    .action(async () => {
      const r = await withCtx((ctx) => ctx.collections.refresh({ force: true }));
      out(`${r.checked} collection(s) checked, recounted: ${r.recounted.join(', ') || 'none'}`);
      if (r.pendingRelabel > 0)
        out(`${r.pendingRelabel} resource(s) await relabelling: run custodia classify relabel`);
    });

  // ---- classify: the tenant's grading scheme ----------------------------------------------------

  const classify = program.command('classify').description('classification and grading (分类分级)');
  const relabel = async (schemeId: string | undefined, all: boolean, progress: boolean) => {
    const bar =
      progress && process.stderr.isTTY
        ? new SingleBar(
            { format: 'relabel [{bar}] {value} scanned, {relabelled} relabelled' },
            Presets.shades_classic,
          )
        : undefined;
    const job = await withCtx(async (ctx): Promise<RelabelJob> => {
      const current = (await ctx.schemes.scheme()).scheme.id;
      const target = schemeId ?? current;
      getScheme(target);
      const started = await ctx.schemes.switchTo(target, operatorId(), {
        all,
        onBatch: (resources) =>
          record(ctx, {
            kind: 'write',
            action: 'classify.relabel',
            resources,
            reason: `relabelled under ${target}`,
          }),
      });
      await record(ctx, {
        kind: 'policy-change',
        action: 'classify.scheme.set',
        reason: `grading scheme ${current} -> ${target}${all ? ' (relabel all)' : ''}; job ${started.job.id}`,
      });
      bar?.start(0, 0, { relabelled: 0 });
      const timer =
        bar &&
        setInterval(() => {
          const j = ctx.schemes.job();
          if (j) bar.update(j.progress.scanned, { relabelled: j.progress.relabelled });
        }, 200);
      const done = await started.done;
      if (timer) clearInterval(timer);
      await record(ctx, {
        kind: 'policy-change',
        action: `classify.relabel.${done.state}`,
        reason:
          `job ${done.id}: ${done.report ? `${done.report.relabelled} relabelled of ${done.report.scanned}` : (done.error?.message ?? '')}`.slice(
            0,
            2000,
          ),
      });
      return done;
    });
    bar?.stop();
    if (job.state !== 'done' || !job.report)
      throw new CustodiaError('internal', `relabelling failed: ${job.error?.message ?? 'unknown'}`, {
        zh: '重新标注失败',
        hint: 'run custodia classify relabel again: it continues where it stopped',
      });
    const r = job.report;
    out(`grading scheme ${job.scheme} (was ${job.previousScheme}) / 分级方案已设为 ${job.scheme}`);
    out(
      `${r.scanned} scanned, ${r.relabelled} relabelled, ${r.unchanged} unchanged, ${r.skipped} changed meanwhile, ${r.erased} of erased patients, ${r.failed.length} failed`,
    );
    for (const f of r.failed) out(`  could not open ${f}`);
    if (r.failed.length > 0) process.exitCode = 1;
  };

  classify
    .command('scheme')
    .description('show the tenant’s grading scheme, or choose another (stored resources are relabelled)')
    .argument('[scheme]', 'seed-3-grade, gbt-39725-2020 or hipaa')
    .option('--all', 'relabel every resource, not only those of another scheme', false)
    .option('--no-progress', 'no progress bar')
    .action(async (schemeId: string | undefined, o: { all: boolean; progress: boolean }) => {
      if (schemeId) return relabel(schemeId, o.all, o.progress);
      const s = await withCtx((ctx) => ctx.schemes.scheme());
      out(
        `${s.scheme.id}: ${s.scheme.name.zh} / ${s.scheme.name.en}${s.chosen ? ` (chosen by ${s.chosen.updatedBy} at ${new Date(s.chosen.updatedAt).toISOString()})` : ' (configured default)'}`,
      );
      for (const g of [...s.scheme.grades].sort((a, b) => b.rank - a.rank))
        out(`  ${g.id.padEnd(10)} ${g.name.zh} / ${g.name.en}`);
    });

  classify
    .command('relabel')
    .description(
      'relabel the stored resources under the tenant’s scheme (finishes an interrupted pass; --all after value sets changed)',
    )
    .option('--all', 'relabel every resource, not only those of another scheme', false)
    .option('--no-progress', 'no progress bar')
    .action(async (o: { all: boolean; progress: boolean }) => relabel(undefined, o.all, o.progress));
}
