import { readFileSync } from 'node:fs';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CustodiaError } from '../core/index.js';
import {
  Ledger,
  logVerifierKey,
  requestCosignatures,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyLog,
  type TrustPolicy,
} from '../ledger/index.js';
import type { LedgerStoreContext, Runtime } from './runtime.js';

/**
 * `custodia ledger verify`, `custodia ledger reindex` and `custodia ledger checkpoint`. Verification works on the stored
 * log without opening it for appending, so a damaged log can still be examined; exit code 1
 * means it found tampering (or a checkpoint that is not the log's), 2 a wrong argument.
 */
export function addLedgerCommand(program: Command, rt: Runtime, out: (line: string) => void): void {
  const configFile = () => program.opts<{ config?: string }>().config;
  const ledger = program.command('ledger').description('the tamper-evident audit ledger (审计账本)');

  ledger
    .command('verify')
    .description(
      'recompute the whole log and check it against every signed checkpoint; or check two checkpoints are consistent',
    )
    .option(
      '--from-checkpoint <file>',
      'a checkpoint you hold (e.g. saved earlier): the log must agree with it',
    )
    .option(
      '--consistency <checkpoints...>',
      'check that checkpoint B extends checkpoint A (each a tree size the log signed, or a checkpoint file)',
    )
    .option('--no-progress', 'no progress bar')
    .action(async function (
      this: Command,
      o: { fromCheckpoint?: string; consistency?: string[]; progress: boolean },
    ) {
      if (o.consistency && o.consistency.length !== 2)
        this.error('--consistency needs two checkpoints: sizes or files', {
          exitCode: 2,
          code: 'custodia.usage',
        });
      const trusted = o.fromCheckpoint ? readCheckpointFile(this, o.fromCheckpoint) : undefined;
      await rt.withLedgerStore(configFile(), async (ctx) => {
        if (o.consistency) return checkConsistency(this, ctx, o.consistency[0]!, o.consistency[1]!, out);
        if (trusted) describeTrusted(ctx, trusted, out);
        await verifyWhole(ctx, trusted, o.progress, out);
      });
    });

  ledger
    .command('reindex')
    .description(
      'derive the query index (by patient, actor, action, time) of every entry again, restoring rows it lost; safe while the server runs',
    )
    .option('--no-progress', 'no progress bar')
    .action(async (o: { progress: boolean }) => {
      await rt.withLedgerStore(configFile(), async (ctx) => {
        const log = await Ledger.open(ctx.store, { ...ctx.options, cadence: { everyMs: 0 } });
        const bar = progressBar(o.progress, 'reindexing');
        try {
          const began = performance.now();
          const covered = await log.rebuildIndex((done, total) => bar?.update(done, total));
          bar?.stop();
          const seconds = ((performance.now() - began) / 1000).toFixed(1);
          out(
            `the query index covers all ${covered} entries again (${seconds} s) / 已重建 ${covered} 条记录的查询索引`,
          );
        } finally {
          bar?.stop();
          await log.close({ checkpoint: false });
        }
      });
    });

  ledger
    .command('checkpoint')
    .description('print the latest signed checkpoint with its cosignatures (save it to verify against later)')
    .option('--cosign', 'sign a checkpoint of the current log and ask the configured witnesses to cosign it')
    .action(async (o: { cosign?: boolean }) => {
      await rt.withLedgerStore(configFile(), async (ctx) => {
        const log = await Ledger.open(ctx.store, { ...ctx.options, cadence: { everyMs: 0 } });
        try {
          const checkpoint = o.cosign
            ? await log.checkpoint()
            : (log.latestCheckpoint() ?? (await log.checkpoint()));
          if (o.cosign) {
            if (ctx.witnesses.length === 0)
              throw new CustodiaError('invalid-config', 'no witnesses are configured', {
                hint: 'set ledgerWitnesses (CUSTODIA_LEDGER_WITNESSES)',
                zh: '未配置见证者',
              });
            for (const r of await requestCosignatures(log, ctx.witnesses, checkpoint))
              process.stderr.write(
                `${r.ok ? 'cosigned' : 'refused '}  ${r.witness}${r.ok ? '' : `: ${r.problem}`}\n`,
              );
          }
          process.stdout.write((await log.cosignedCheckpoint(checkpoint.size)) ?? checkpoint.note);
        } finally {
          await log.close({ checkpoint: false });
        }
      });
    });
}

/** A progress bar on stderr (when it is a terminal), started at the first update. */
function progressBar(wanted: boolean, doing: string) {
  if (!wanted || !process.stderr.isTTY) return undefined;
  const bar = new SingleBar({ format: `${doing} [{bar}] {value}/{total} entries` }, Presets.shades_classic);
  let started = false;
  return {
    update(done: number, total: number) {
      if (!started) bar.start(total, done);
      started = true;
      bar.update(done);
    },
    stop: () => bar.stop(),
  };
}

const policyOf = (ctx: LedgerStoreContext): TrustPolicy => ({
  origin: ctx.options.origin,
  logKeys: [logVerifierKey(ctx.options.origin, ctx.options.signingKey)],
  witnesses: ctx.witnesses.map((w) => w.key),
});

function readCheckpointFile(cmd: Command, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    return cmd.error(`cannot read the checkpoint file ${file}: ${(error as Error).message}`, {
      exitCode: 2,
      code: 'custodia.usage',
    });
  }
}

const notTheLogs = (problem: string) =>
  new CustodiaError('integrity', `the checkpoint is not this log's: ${problem}`, {
    hint: 'check that it came from this log (origin and key); a checkpoint signed with the log key that fails here is evidence of tampering',
    zh: `检查点不属于本日志或签名无效：${problem}`,
  });

function describeTrusted(ctx: LedgerStoreContext, note: string, out: (line: string) => void): void {
  const opened = verifyCheckpoint(note, policyOf(ctx));
  if (!opened.ok) throw notTheLogs(opened.problem);
  const n = opened.value.cosignatures.length;
  out(
    `checkpoint of size ${opened.value.size}: signed by the log, ${n} witness cosignature${n === 1 ? '' : 's'} (quorum ${ctx.quorum})`,
  );
}

async function verifyWhole(
  ctx: LedgerStoreContext,
  trusted: string | undefined,
  progress: boolean,
  out: (line: string) => void,
): Promise<void> {
  const bar = progressBar(progress, 'verifying');
  const began = performance.now();
  try {
    const { tenantId, origin } = ctx.options;
    const report = await verifyLog(ctx.store, {
      tenantId,
      origin,
      logKeys: policyOf(ctx).logKeys,
      ...(trusted ? { trusted: [trusted] } : {}),
      onProgress: (checked, total) => bar?.update(checked, total),
    });
    bar?.stop();
    const seconds = (performance.now() - began) / 1000;
    if (!report.ok) {
      const p = report.problem;
      throw new CustodiaError(
        'integrity',
        `the ledger fails verification (${p.kind} at ${p.index}): ${p.message}`,
        {
          hint: `entries before ${p.index} verified; restore the log from a backup or a mirror and keep this one as evidence`,
          zh: `审计账本校验失败：${p.zh}`,
        },
      );
    }
    out(
      `the ledger is intact: ${report.entriesChecked} entries and ${report.checkpointsChecked} signed checkpoints verified in ${seconds.toFixed(1)} s`,
    );
    out(`size ${report.size}, root ${report.root}`);
  } finally {
    bar?.stop();
  }
}

async function checkConsistency(
  cmd: Command,
  ctx: LedgerStoreContext,
  a: string,
  b: string,
  out: (line: string) => void,
): Promise<void> {
  const log = await Ledger.open(ctx.store, { ...ctx.options, cadence: { everyMs: 0 } });
  try {
    const resolve = async (arg: string): Promise<string> => {
      if (!/^\d+$/.test(arg)) return readCheckpointFile(cmd, arg);
      const note = await log.cosignedCheckpoint(Number(arg));
      return (
        note ??
        cmd.error(`the log signed no checkpoint of size ${arg}`, { exitCode: 2, code: 'custodia.usage' })
      );
    };
    const notes = [await resolve(a), await resolve(b)].map((note) => {
      const opened = verifyCheckpoint(note, policyOf(ctx));
      if (!opened.ok) throw notTheLogs(opened.problem);
      return { note, size: opened.value.size };
    });
    const [older, newer] = notes.sort((x, y) => x.size - y.size) as [(typeof notes)[0], (typeof notes)[0]];
    // The log's own check (its entries, and an alarm if they disagree), then the stand-alone
    // verifier's over the same proof, which shares no state with the log.
    const { oldSize, newSize, proof } = await log.checkConsistency(older.note, newer.note);
    const standalone = verifyCheckpointConsistency(
      older.note,
      newer.note,
      proof.map((p) => Buffer.from(p).toString('base64')),
      policyOf(ctx),
    );
    if (!standalone.ok) throw notTheLogs(standalone.problem);
    out(
      `checkpoints ${oldSize} and ${newSize} are consistent: the log only grew between them (${proof.length}-hash proof)`,
    );
  } finally {
    await log.close({ checkpoint: false });
  }
}
