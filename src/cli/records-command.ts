import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { CustodiaError, type OrgId } from '../core/index.js';
import type { Access } from '../guard/index.js';
import { servicePrincipal } from '../identity/index.js';
import type { ImportResult } from '../records/index.js';
import type { CommandContext, Runtime } from './runtime.js';

type Out = (line: string) => void;

/** The console operator: acts for one organization with local administrator power. */
async function operator(ctx: CommandContext, org: string): Promise<Access> {
  const orgs = await ctx.directory.listOrganizations(ctx.tenantId);
  const found = orgs.find((o) => o.id === org || o.name === org || o.nameZh === org);
  if (!found)
    throw new CustodiaError('not-found', `no organization "${org}"`, {
      zh: `没有机构“${org}”`,
      hint: 'give its id or name, as `custodia org list` shows them',
    });
  return {
    principal: servicePrincipal(ctx.tenantId, found.id as OrgId, 'cli', ['admin', 'data-steward']),
  };
}

/** Files to import: a file, or the .json/.ndjson files of a directory (directory bundles first). */
function importFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    const full = resolve(p);
    if (statSync(full).isDirectory()) {
      const inDir = readdirSync(full)
        .filter((f) => /\.(json|ndjson|jsonl)$/i.test(f))
        .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
      files.push(...inDir.map((f) => join(full, f)));
    } else files.push(full);
  }
  return files;
}

// Synthea writes the hospitals and practitioners that patient bundles refer to in files of their own.
const rank = (name: string) => (/^(hospital|practitioner)Information/i.test(name) ? 0 : 1);

export function addRecordsCommands(
  program: Command,
  rt: Runtime,
  configFile: () => string | undefined,
  out: Out,
) {
  program
    .command('import')
    .description('import FHIR Bundles (.json) and NDJSON (.ndjson) files or directories for an organization')
    .requiredOption('--org <org>', 'the organization that owns the data (id or name)')
    .option('--no-progress', 'no progress bar')
    .argument('<paths...>', 'files or directories')
    .action(async (paths: string[], o: { org: string; progress: boolean }) => {
      const files = importFiles(paths);
      const totalBytes = files.reduce((n, f) => n + statSync(f).size, 0);
      const bar =
        o.progress && process.stderr.isTTY
          ? new SingleBar(
              {
                format:
                  'import [{bar}] {percentage}% | {created} created, {matched} existing, {failed} failed',
              },
              Presets.shades_classic,
            )
          : undefined;
      const totals = { created: 0, matched: 0, failed: 0, files: 0 };
      const problems: ImportResult['problems'] = [];
      const started = Date.now();
      await rt.withContext(configFile(), async (ctx) => {
        const access = await operator(ctx, o.org);
        bar?.start(totalBytes, 0, totals);
        let doneBytes = 0;
        for (const file of files) {
          const ndjson = /\.(ndjson|jsonl)$/i.test(file);
          const base = { ...totals };
          const result = await ctx.guard.import(
            access,
            ndjson ? 'ndjson' : 'bundle',
            createReadStream(file),
            file,
            {
              baseUrl: `${ctx.config.publicUrl}/fhir`,
              onChunk: (r) =>
                bar?.update(doneBytes, {
                  created: base.created + r.created,
                  matched: base.matched + r.matched,
                  failed: base.failed + r.failed,
                }),
            },
          );
          totals.created += result.created;
          totals.matched += result.matched;
          totals.failed += result.failed;
          totals.files++;
          problems.push(...result.problems.slice(0, Math.max(0, 100 - problems.length)));
          doneBytes += statSync(file).size;
          bar?.update(doneBytes, totals);
        }
      });
      bar?.stop();
      const seconds = (Date.now() - started) / 1000;
      out(
        `imported ${totals.files} file(s) in ${seconds.toFixed(1)} s: ${totals.created} created, ${totals.matched} already present, ${totals.failed} failed`,
      );
      out(
        `导入 ${totals.files} 个文件：新建 ${totals.created}，已存在 ${totals.matched}，失败 ${totals.failed}`,
      );
      for (const p of problems) out(`  ${p.where}: ${p.message}`);
      if (totals.failed > 0) process.exitCode = 1;
    });

  const keys = program.command('keys').description('encryption keys (密钥)');
  keys
    .command('rotate')
    .description("add a new version of the tenant key and re-wrap every patient's data key under it (online)")
    .option('--no-progress', 'no progress bar')
    .action(async (o: { progress: boolean }) => {
      const bar = o.progress && process.stderr.isTTY ? new SingleBar({}, Presets.shades_classic) : undefined;
      const report = await rt.withContext(configFile(), async (ctx) => {
        const orgs = await ctx.directory.listOrganizations(ctx.tenantId);
        const access = await operator(ctx, orgs[0]?.id ?? '');
        return ctx.guard.rotateKeys(access, (p) => {
          if (!bar) return;
          if (p.done === 0) bar.start(p.total, 0);
          bar.setTotal(p.total);
          bar.update(p.done);
        });
      });
      bar?.stop();
      out(
        `tenant key version ${report.kekVersion}: ${report.rewrapped} data keys re-wrapped, ${report.remaining} remaining`,
      );
      out(`租户密钥版本 ${report.kekVersion}：已重新封装 ${report.rewrapped} 个数据密钥`);
      if (report.remaining > 0) process.exitCode = 1;
    });

  program
    .command('patient')
    .description('patients (患者)')
    .command('erase')
    .description('crypto-shred a patient: destroy their data key so none of their records can be read again')
    .requiredOption('--org <org>', 'the organization that holds the patient (id or name)')
    .requiredOption('--yes', 'confirm: this cannot be undone')
    .argument('<patientId>', 'the Patient resource id')
    .action(async (patientId: string, o: { org: string }) => {
      const result = await rt.withContext(configFile(), async (ctx) =>
        ctx.guard.erasePatient(await operator(ctx, o.org), patientId),
      );
      out(
        `Patient/${patientId} erased: ${result.destroyedKeys} data key(s) destroyed, ${result.resources} resources now unreadable`,
      );
      out(`患者 ${patientId} 已擦除：${result.resources} 条记录不可再读取`);
    });
}
