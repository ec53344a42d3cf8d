/**
 * `custodia policy|break-glass|emergency`: the console side of policy versions, break-glass
 * reviews and public-health emergencies. Changes are made as a named user of the directory
 * (`--as`), whose roles the policy module checks exactly as it does for the API, and each change
 * is written to the ledger (through guard) before the policy module commits it: a change the
 * ledger could not record is not made. The ledger entry's request id names the operating-system
 * user who typed the command.
 */
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { CustodiaError, badRequest } from '../core/index.js';
import { parsePurpose } from '../consent/index.js';
import {
  REVIEW_OUTCOMES,
  readPackDir,
  type PolicyActor,
  type PolicyRecorder,
  type ReviewOutcome,
} from '../policy/index.js';
import type { CommandContext, Runtime } from './runtime.js';

type Out = (line: string) => void;

const AS_HELP = 'the user (username or id) making the change; their roles decide whether they may';

/** The operating-system user at the console, as the ledger entry's request id records it. */
function consoleRequestId(): string {
  let name = 'operator';
  try {
    name = userInfo().username.replace(/[^A-Za-z0-9._-]/g, '_') || name;
  } catch {
    // No passwd entry (some containers): the generic name still says it came from the console.
  }
  return `cli:${name}`.slice(0, 128);
}

/** The directory user named by `--as`: the one whose roles the policy module checks. */
async function actorFor(ctx: CommandContext, who: string): Promise<PolicyActor> {
  const user =
    (await ctx.directory.findUser(ctx.tenantId, who)) ??
    (await ctx.directory.getUser(ctx.tenantId, who).catch(() => undefined));
  if (!user)
    throw new CustodiaError('not-found', `no user "${who}"`, {
      zh: `用户“${who}”不存在`,
      hint: 'give a username or id as `custodia user list` shows them',
    });
  if (user.disabled)
    throw new CustodiaError('forbidden', `user "${who}" is disabled`, { zh: `用户“${who}”已停用` });
  return { userId: user.id, orgId: user.orgId, roles: user.roles };
}

/** Writes a change's audit note to the ledger, durably, before the policy module commits the change. */
const recorder =
  (ctx: CommandContext): PolicyRecorder =>
  (note) =>
    ctx.guard.recordPolicyEvent(note, { requestId: consoleRequestId() });

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function positive(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw badRequest(`${option} must be a positive number, not "${text}"`, {
      path: option,
      zh: `${option} 须为正数`,
    });
  return n;
}

function version(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw badRequest(`the version must be a whole number from 1, not "${text}"`, {
      path: 'VERSION',
      zh: '版本号须为从 1 开始的整数',
      hint: 'see `custodia policy list`',
    });
  return n;
}

export function addPolicyCommands(
  program: Command,
  rt: Runtime,
  configFile: () => string | undefined,
  out: Out,
): void {
  const withCtx = <T>(work: (ctx: CommandContext) => Promise<T>) => rt.withContext(configFile(), work);
  addPolicy(program, withCtx, out);
  addBreakGlass(program, withCtx, out);
  addEmergency(program, withCtx, out);
}

type WithCtx = <T>(work: (ctx: CommandContext) => Promise<T>) => Promise<T>;

function addPolicy(program: Command, withCtx: WithCtx, out: Out): void {
  const policy = program.command('policy').description('Cedar policy versions (访问控制策略)');

  policy
    .command('list')
    .description('every policy version, newest first; * marks the one in force')
    .action(async () => {
      const versions = await withCtx((ctx) => ctx.policies.list());
      for (const v of versions)
        out(
          `${v.status === 'active' ? '*' : ' '} v${String(v.version).padEnd(4)} ${v.status.padEnd(10)} ${v.digest.slice(0, 19)}  ${iso(v.proposedAt)}  ${v.proposedBy}${v.note ? `  ${v.note}` : ''}`,
        );
      out(`${versions.length} version(s) / 共 ${versions.length} 个版本`);
    });

  policy
    .command('show')
    .description('one version: who proposed and activated it, and its Cedar files')
    .argument('<version>', 'the version number')
    .action(async (text: string) => {
      const v = await withCtx((ctx) => ctx.policies.get(version(text)));
      out(`version ${v.version} (${v.status}) ${v.digest}`);
      out(`  proposed / 提出   ${iso(v.proposedAt)} by ${v.proposedBy}${v.note ? ` — ${v.note}` : ''}`);
      if (v.activatedAt !== undefined)
        out(`  activated / 生效  ${iso(v.activatedAt)} by ${v.activatedBy ?? '-'}`);
      for (const [name, source] of Object.entries(v.files)) {
        out(`--- ${name}`);
        out(source.trimEnd());
      }
    });

  policy
    .command('history')
    .description('every proposal and activation in order')
    .action(async () => {
      const changes = await withCtx((ctx) => ctx.policies.history());
      for (const c of changes)
        out(
          `${String(c.seq).padStart(4)}  ${iso(c.at)}  ${c.action.padEnd(8)}  v${c.version}  ${c.by}  ${c.digest}`,
        );
    });

  policy
    .command('propose')
    .description('propose the *.cedar files of a directory as the next version (validated, not yet in force)')
    .argument('<dir>', 'a directory of .cedar files')
    .requiredOption('--as <user>', AS_HELP)
    .option('--note <text>', 'what changes and why', '')
    .action(async (dir: string, o: { as: string; note: string }) => {
      const path = resolve(dir);
      let isDir = false;
      try {
        isDir = statSync(path).isDirectory();
      } catch {
        // Reported below with what to give instead.
      }
      if (!isDir)
        throw new CustodiaError('not-found', `${dir} is not a directory`, {
          zh: `${dir} 不是目录`,
          hint: 'give the directory that holds the .cedar files',
        });
      const files = readPackDir(path);
      if (Object.keys(files).length === 0)
        throw badRequest(`${dir} holds no .cedar files`, { zh: `${dir} 中没有 .cedar 文件` });
      const v = await withCtx(async (ctx) => {
        const actor = await actorFor(ctx, o.as);
        return (await ctx.policies.propose(actor, recorder(ctx), files, o.note.trim())).version;
      });
      out(
        `proposed version ${v.version} (${v.digest}) from ${Object.keys(files).join(', ')} / 已提出版本 ${v.version}`,
      );
      out(`put it in force with: custodia policy activate ${v.version} --as ${o.as}`);
    });

  policy
    .command('activate')
    .description('put a proposed version in force at once (the version in force until now is superseded)')
    .argument('<version>', 'the version number')
    .requiredOption('--as <user>', AS_HELP)
    .action(async (text: string, o: { as: string }) => {
      const v = await withCtx(async (ctx) => {
        const actor = await actorFor(ctx, o.as);
        return (await ctx.policies.activate(actor, recorder(ctx), version(text))).version;
      });
      out(`version ${v.version} is in force (${v.digest}) / 版本 ${v.version} 已生效`);
    });
}

function addBreakGlass(program: Command, withCtx: WithCtx, out: Out): void {
  const glass = program
    .command('break-glass')
    .description('emergency access to one patient, reviewed afterwards (破窗访问)');

  glass
    .command('list')
    .description('grants nobody has reviewed yet, oldest first')
    .action(async () => {
      const grants = await withCtx((ctx) => ctx.breakGlass.unreviewed(1000));
      for (const g of grants)
        out(
          `${g.id}  ${iso(g.declaredAt)}  until ${iso(g.expiresAt)}  user ${g.userId}  patient ${g.patientKey}  ${g.reason}`,
        );
      out(`${grants.length} grant(s) awaiting review / ${grants.length} 项待审查`);
    });

  glass
    .command('review')
    .description('a privacy officer closes the review of a grant')
    .argument('<id>', 'the grant id')
    .addOption(
      new Option('--outcome <outcome>', 'the finding').choices([...REVIEW_OUTCOMES]).makeOptionMandatory(),
    )
    .requiredOption('--note <text>', 'what the review found')
    .requiredOption('--as <user>', AS_HELP)
    .action(async (id: string, o: { outcome: ReviewOutcome; note: string; as: string }) => {
      const grant = await withCtx(async (ctx) => {
        const actor = await actorFor(ctx, o.as);
        return (await ctx.breakGlass.review(actor, recorder(ctx), id, o.outcome, o.note)).grant;
      });
      out(`grant ${grant.id} reviewed: ${o.outcome} by ${grant.review?.by ?? o.as} / 已审查`);
    });
}

function addEmergency(program: Command, withCtx: WithCtx, out: Out): void {
  const emergency = program
    .command('emergency')
    .description('public-health emergencies declared by a regulator (突发公共卫生事件)');

  emergency
    .command('list')
    .description('the emergencies in force now')
    .action(async () => {
      const active = await withCtx(async (ctx) => ctx.emergencies.active());
      for (const d of active)
        out(
          `${d.id}  ${iso(d.startsAt)}..${iso(d.endsAt)}  regions ${d.regions.join(',')}  categories ${d.categories.join(',')}  purposes ${d.purposes.join(',')}  ${d.reason}`,
        );
      out(`${active.length} emergency(ies) in force / ${active.length} 项应急状态生效中`);
    });

  emergency
    .command('declare')
    .description('declare an emergency for purposes, data categories and regions, for some hours')
    .requiredOption('--reason <text>', 'what the emergency is')
    .option('--purpose <purposes>', 'comma-separated purposes of use', 'public-health-emergency')
    .requiredOption(
      '--category <categories>',
      'comma-separated data categories (health-status, public-health, …)',
    )
    .requiredOption(
      '--region <regions>',
      'comma-separated GB/T 2260 division code prefixes (42 Hubei, 4201 Wuhan)',
    )
    .requiredOption('--hours <n>', 'how long it lasts')
    .option('--starts <time>', 'when it starts (ISO 8601); default now')
    .requiredOption('--as <user>', AS_HELP)
    .action(
      async (o: {
        reason: string;
        purpose: string;
        category: string;
        region: string;
        hours: string;
        starts?: string;
        as: string;
      }) => {
        const durationMs = Math.round(positive(o.hours, '--hours') * 3_600_000);
        const startsAt = o.starts === undefined ? undefined : Date.parse(o.starts);
        if (startsAt !== undefined && !Number.isFinite(startsAt))
          throw badRequest(`--starts must be an ISO 8601 date-time, not "${o.starts}"`, {
            path: '--starts',
            zh: '--starts 须为 ISO 8601 时间',
          });
        const purposes = list(o.purpose).map((p) => parsePurpose(p, '--purpose'));
        const d = await withCtx(async (ctx) => {
          const declared = await ctx.emergencies.declare(await actorFor(ctx, o.as), recorder(ctx), {
            reason: o.reason,
            purposes,
            categories: list(o.category),
            regions: list(o.region),
            ...(startsAt === undefined ? {} : { startsAt }),
            durationMs,
          });
          return declared.declaration;
        });
        out(`emergency ${d.id} declared ${iso(d.startsAt)}..${iso(d.endsAt)} / 已宣布应急状态`);
      },
    );

  emergency
    .command('end')
    .description('end an emergency before its time')
    .argument('<id>', 'the emergency id')
    .requiredOption('--as <user>', AS_HELP)
    .action(async (id: string, o: { as: string }) => {
      await withCtx(async (ctx) => {
        await ctx.emergencies.end(await actorFor(ctx, o.as), recorder(ctx), id);
      });
      out(`emergency ${id} ended / 应急状态已结束`);
    });
}
