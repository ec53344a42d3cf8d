import { Command, CommanderError, Option } from 'commander';
import { CustodiaError, isCustodiaError, type OrgId } from '../core/index.js';
import { ORGANIZATION_TYPES, ROLES, type Qualification } from '../identity/index.js';
import { addCatalogCommands } from './catalog-command.js';
import { addDeidCommand } from './deid-command.js';
import { addLedgerCommand } from './ledger-command.js';
import { addPolicyCommands } from './policy-command.js';
import { addRecordsCommands } from './records-command.js';
import type { Runtime } from './runtime.js';

/** Exit codes: 0 done, 1 failed, 2 wrong usage, 3 bad configuration, 4 a dependency (database) unavailable. */
export const EXIT = { ok: 0, failed: 1, usage: 2, config: 3, unavailable: 4 } as const;

export function buildProgram(rt: Runtime, out: (line: string) => void = (l) => console.log(l)): Command {
  const program = new Command('custodia')
    .description('Custodia: governed sharing of medical data (医疗数据治理与共享平台)')
    .version(rt.version, '-v, --version')
    .option(
      '-c, --config <file>',
      'configuration file (JSON or YAML); default ./custodia.config.json or $CUSTODIA_CONFIG',
    )
    // Global options go before the command, so a command may have its own --config (deid).
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
  const configFile = () => program.opts<{ config?: string }>().config;

  program
    .command('version')
    .description('print the version')
    .action(() => out(rt.version));

  program
    .command('init')
    .description('prepare the data directory: keyring and master key, database schema')
    .action(async () => {
      const r = await rt.init(configFile());
      out(`data directory: ${r.dataDir}`);
      out(`database:       ${r.database}`);
      out(`keyring:        ${r.keyring} (master key: ${r.masterKey})`);
      out(`migrations run: ${r.migrations.length === 0 ? 'none (up to date)' : r.migrations.join(', ')}`);
      out('next: custodia org add --name ... --type hospital; custodia user add ...; custodia serve');
    });

  program
    .command('serve')
    .description('run the HTTP server until SIGINT/SIGTERM (in-flight requests finish first)')
    .option('--demo', 'seed the demo region and print its logins', false)
    .action(async (o: { demo: boolean }) => rt.serve(configFile(), { demo: o.demo }));

  program
    .command('migrate')
    .description('bring the database schema up to date')
    .option('--status', 'only show which migrations have run', false)
    .action(async (o: { status: boolean }) => {
      const r = await rt.migrate(configFile(), { statusOnly: o.status });
      if (o.status) {
        for (const m of r.applied) out(`applied  ${m}`);
        for (const m of r.pending) out(`pending  ${m}`);
      } else out(r.applied.length === 0 ? 'the schema is up to date' : `applied: ${r.applied.join(', ')}`);
    });

  program
    .command('config')
    .description('print the effective configuration (without secrets)')
    .action(() => out(JSON.stringify(rt.describeConfig(configFile()), null, 2)));

  const org = program.command('org').description('organizations (机构)');
  org
    .command('add')
    .description('register an organization')
    .requiredOption('--name <name>', 'name')
    .addOption(
      new Option('--type <type>', 'organization type').choices([...ORGANIZATION_TYPES]).makeOptionMandatory(),
    )
    .option('--name-zh <name>', 'Chinese name')
    .option('--division <code>', 'GB/T 2260 division code of the seat')
    .action(async (o: { name: string; type: string; nameZh?: string; division?: string }) => {
      const created = await rt.withContext(configFile(), (ctx) =>
        ctx.directory.createOrganization(ctx.tenantId, {
          name: o.name,
          type: o.type,
          nameZh: o.nameZh ?? null,
          divisionCode: o.division ?? null,
        }),
      );
      out(`organization ${created.id} ${created.name} (${created.type})`);
    });
  org
    .command('list')
    .description('list organizations')
    .action(async () => {
      const orgs = await rt.withContext(configFile(), (ctx) => ctx.directory.listOrganizations(ctx.tenantId));
      for (const o of orgs)
        out(`${o.id}  ${o.type.padEnd(18)}  ${o.name}${o.nameZh ? ` / ${o.nameZh}` : ''}`);
    });

  const user = program.command('user').description('users and service accounts (用户)');
  user
    .command('add')
    .description(
      'create a user; the password is read from stdin (or $CUSTODIA_NEW_PASSWORD), never from the command line',
    )
    .requiredOption('--username <name>', 'login name')
    .requiredOption('--org <id-or-name>', 'organization id or exact name')
    .requiredOption('--roles <roles>', `comma-separated roles: ${ROLES.join(', ')}`)
    .option('--display-name <name>', 'name to show')
    .option('--department <dept>', 'department (科室)')
    .option('--qualification <type=value...>', 'qualifications, e.g. practising-licence=1101...')
    .option('--service', 'a service account (authenticates with API keys, no password)', false)
    .action(
      async (o: {
        username: string;
        org: string;
        roles: string;
        displayName?: string;
        department?: string;
        qualification?: string[];
        service: boolean;
      }) => {
        const password = o.service ? undefined : await readPassword();
        const result = await rt.withContext(configFile(), async (ctx) => {
          const orgs = await ctx.directory.listOrganizations(ctx.tenantId);
          const match = orgs.find((x) => x.id === o.org || x.name === o.org || x.nameZh === o.org);
          if (!match)
            throw new CustodiaError('not-found', `no organization "${o.org}"`, {
              hint: 'see `custodia org list`',
              zh: `机构“${o.org}”不存在`,
            });
          const created = await ctx.directory.createUser(ctx.tenantId, {
            username: o.username,
            orgId: match.id as OrgId,
            roles: o.roles
              .split(',')
              .map((r) => r.trim())
              .filter(Boolean),
            kind: o.service ? 'service' : 'person',
            department: o.department ?? null,
            qualifications: (o.qualification ?? []).map(parseQualification),
            ...(o.displayName ? { displayName: o.displayName } : {}),
            ...(password === undefined ? {} : { password }),
          });
          const key = o.service
            ? await ctx.authenticator.createApiKey(ctx.tenantId, created.id, 'created with the account')
            : undefined;
          return { created, key };
        });
        out(`user ${result.created.id} ${result.created.username} (${result.created.roles.join(', ')})`);
        if (result.key) out(`API key (shown once, keep it secret): ${result.key.key}`);
      },
    );
  user
    .command('list')
    .description('list users')
    .action(async () => {
      const users = await rt.withContext(configFile(), (ctx) => ctx.directory.listUsers(ctx.tenantId));
      for (const u of users)
        out(`${u.id}  ${u.username.padEnd(20)}  ${u.kind.padEnd(7)}  ${u.roles.join(',')}`);
    });

  addDeidCommand(program, rt, configFile, out);
  addLedgerCommand(program, rt, out);
  addRecordsCommands(program, rt, configFile, out);
  addCatalogCommands(program, rt, configFile, out);
  addPolicyCommands(program, rt, configFile, out);

  return program;
}

function parseQualification(text: string): Qualification {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new CustodiaError('bad-request', `qualification "${text}" should look like type=value`, {
      zh: '资质格式应为 类型=值',
    });
  return { type: text.slice(0, eq), value: text.slice(eq + 1) };
}

async function readPassword(): Promise<string> {
  const fromEnv = process.env.CUSTODIA_NEW_PASSWORD;
  if (fromEnv) return fromEnv;
  if (process.stdin.isTTY) {
    throw new CustodiaError('bad-request', 'pipe the password on stdin or set CUSTODIA_NEW_PASSWORD', {
      hint: 'e.g. printf \'%s\' "$PASSWORD" | custodia user add ...',
      zh: '请通过标准输入或 CUSTODIA_NEW_PASSWORD 提供密码',
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Runs the program and maps what happened to an exit code and a message on stderr. */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return EXIT.ok;
      return EXIT.usage;
    }
    if (isCustodiaError(e)) {
      console.error(
        `error: ${e.message}${e.zh ? `\n       ${e.zh}` : ''}${e.hint ? `\nhint:  ${e.hint}` : ''}`,
      );
      if (e.code === 'invalid-config') return EXIT.config;
      if (e.code === 'unavailable') return EXIT.unavailable;
      return EXIT.failed;
    }
    console.error(`error: ${(e as Error).message}`);
    return EXIT.failed;
  }
}
