import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { phiDetector } from '../classify/index.js';
import { renderReportHtml, runDeid, type DeidProgress } from '../deid/index.js';

/**
 * `custodia deid --config PROFILE INPUT OUTPUT`: de-identifies a CSV, NDJSON or FHIR Bundle file
 * with the engine that sharing uses, and writes OUTPUT.report.json and OUTPUT.report.html beside
 * it. Works on files the operator already holds: it reads nothing from the store, so it does not
 * pass guard (exports of stored data will, through the sharing module).
 */
export function addDeidCommand(program: Command, out: (line: string) => void): void {
  program
    .command('deid')
    .description(
      'de-identify a CSV, NDJSON or FHIR Bundle file under a profile (YAML/JSON) and report risk and utility',
    )
    .requiredOption('--config <profile>', 'de-identification profile (YAML or JSON)')
    .argument('<input>', 'input file: .csv, .ndjson/.jsonl or .json (FHIR Bundle)')
    .argument('<output>', 'output file (written whole or not at all)')
    .option('--no-progress', 'no progress bar')
    .action(async (input: string, output: string, o: { config: string; progress: boolean }) => {
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
      try {
        const report = await runDeid({
          configPath: o.config,
          inputPath: input,
          outputPath: output,
          onProgress,
          detector: phiDetector,
        });
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
    });
}

const fmt = (x: number) => x.toFixed(3);
