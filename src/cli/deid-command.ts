import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { phiDetector } from '../classify/index.js';
import { renderReportHtml, runDeid, type DeidProgress, type DeidReport } from '../deid/index.js';
import type { DeidProjectKeys } from '../guard/index.js';
import type { Runtime } from './runtime.js';

/**
 * `custodia deid --config PROFILE INPUT OUTPUT`: de-identifies a CSV, NDJSON or FHIR Bundle file
 * with the engine that sharing uses, and writes OUTPUT.report.json and OUTPUT.report.html beside
 * it. Works on files the operator already holds: it reads nothing from the store, so it does not
 * pass guard (exports of stored data will, through the sharing module). With `--project`, the
 * pseudonym and token keys are the project's, from the tenant's keyring: its tokens can then be
 * reversed by `POST /deid/reidentify`, by permitted roles only and on the record.
 */
export function addDeidCommand(
  program: Command,
  rt: Runtime,
  configFile: () => string | undefined,
  out: (line: string) => void,
): void {
  program
    .command('deid')
    .description(
      'de-identify a CSV, NDJSON or FHIR Bundle file under a profile (YAML/JSON) and report risk and utility',
    )
    .requiredOption('--config <profile>', 'de-identification profile (YAML or JSON)')
    .argument('<input>', 'input file: .csv, .ndjson/.jsonl or .json (FHIR Bundle)')
    .argument('<output>', 'output file (written whole or not at all)')
    .option('--project <name>', "use the project's keys from the keyring (its tokens become re-identifiable)")
    .option('--no-progress', 'no progress bar')
    .action(
      async (input: string, output: string, o: { config: string; project?: string; progress: boolean }) => {
        const bar =
          o.progress && process.stderr.isTTY
            ? new SingleBar({ format: '{phase} [{bar}] {value}/{total} rows' }, Presets.shades_classic)
            : undefined;
        let phase = '';
        const onProgress = (p: DeidProgress) => {
          if (!bar) return;
          if (p.phase !== phase) {
            if (phase) bar.stop();
            phase = p.phase;
            bar.start(p.totalRows ?? p.rows, p.rows, { phase });
          }
          bar.setTotal(Math.max(p.totalRows ?? p.rows, p.rows));
          bar.update(p.rows, { phase });
        };
        const run = (keys?: DeidProjectKeys): Promise<DeidReport> =>
          runDeid({
            configPath: o.config,
            inputPath: input,
            outputPath: output,
            onProgress,
            detector: phiDetector,
            ...(keys ? { key: keys.key, tokenizer: keys.tokenizer } : {}),
          });
        try {
          const project = o.project;
          const report =
            project === undefined
              ? await run()
              : await rt.withContext(configFile(), async (ctx) =>
                  run(await ctx.deidProjects.keysFor(project)),
                );
          bar?.stop();
          writeFileSync(`${output}.report.json`, JSON.stringify(report, null, 2) + '\n');
          writeFileSync(`${output}.report.html`, renderReportHtml(report));
          out(
            `de-identified ${report.rows.read} rows → ${report.rows.written} written, ${report.rows.suppressed} suppressed (${report.durationMs} ms)`,
          );
          if (report.privacy) {
            const before = report.privacy.before.risk;
            const after = report.privacy.after.risk;
            out(
              `prosecutor risk: highest ${fmt(before.prosecutor.highest)} → ${fmt(after.prosecutor.highest)}; criteria: ${report.privacy.criteria.join(', ')}`,
            );
          }
          out(`report: ${output}.report.json, ${output}.report.html`);
        } finally {
          bar?.stop();
        }
      },
    );
}

const fmt = (x: number) => x.toFixed(3);
