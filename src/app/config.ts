import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BUILT_IN_SCHEMES } from '../classify/index.js';
import { CustodiaError } from '../core/index.js';
import { formatVerifierKey, parseVerifierKey, parseWitnessPeers } from '../ledger/index.js';
import { NETWORK_ZONES, type NetworkZone } from '../policy/index.js';
import { CARE_SOURCES, DEFAULT_CARE_WINDOW_DAYS, type CareSource } from '../guard/index.js';

export type NodeRole = 'hub' | 'node';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The ledger origin when none is configured: the public host (with its port) and the tenant. A
 * log keeps the origin it first signed under, so a later change of host or port leaves it as it is.
 */
export const defaultLedgerOrigin = (publicUrl: string, tenant: string): string =>
  `${new URL(publicUrl).host}/custodia/${tenant}`;

export interface Config {
  role: NodeRole;
  dataDir: string;
  host: string;
  port: number;
  /** PostgreSQL URL; undefined means the embedded SQLite file in dataDir. */
  databaseUrl: string | undefined;
  tenant: string;
  logLevel: LogLevel;
  /** Where clients reach this server (links in responses); defaults to http://host:port. */
  publicUrl: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  bodyLimitBytes: number;
  /** The keyring's master key (base64 or hex, 32 bytes); else read from masterKeyFile. Never logged. */
  masterKey: string | undefined;
  masterKeyFile: string;
  /** Passwords for the demo users; random when unset. Never logged. */
  demoPassword: string | undefined;
  /** The tenant's grading scheme (分级方案): labels and grades every stored resource. */
  gradingScheme: string;
  /** The audit log's checkpoint origin (its name for ever); default `<public host>/custodia/<tenant>`. */
  ledgerOrigin: string;
  /** Peer witnesses this log asks to cosign its checkpoints: note verifier key and URL prefix. */
  ledgerWitnesses: { key: string; url: string }[];
  /** Cosignatures that make a checkpoint the consortium's agreed state; default a majority of the witnesses. */
  ledgerQuorum: number;
  /** Note verifier keys of the other institutions' logs this node's witness cosigns. */
  ledgerWitnessFor: string[];
  /** Sign a checkpoint at most this often while entries arrive (also every 1000 entries). */
  ledgerCheckpointMs: number;
  /** How long a break-glass grant lasts unless the clinician asks for less. Default 240 (4 h); at most 1440. */
  breakGlassMinutes: number;
  /** The network this server's clients reach it from; policies limit what the internet zone gets. */
  networkZone: NetworkZone;
  /**
   * Where care relationships come from: `records` (Encounter participants and general
   * practitioners, matched to users by practising-licence number) or `organization` (every
   * clinician and nurse of a hospital cares for its patients, the open-hospital model).
   */
  careRelationship: CareSource;
  /**
   * Days a care relationship from an Encounter holds after the encounter ends (from its start when
   * it has no end; a stay still under way holds). Default 90 (see DEFAULT_CARE_WINDOW_DAYS for why);
   * 0 limits it to the encounter itself. The general practitioner's relationship does not expire.
   */
  careWindowDays: number;
}

interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  allowed: string;
  parse: (raw: string) => Config[K] | undefined;
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const integer = (min: number, max: number) => (raw: string) => {
  const n = Number(raw);
  return /^\d+$/.test(raw.trim()) && n >= min && n <= max ? n : undefined;
};
const nonEmpty = (raw: string) => (raw.trim() === '' ? undefined : raw.trim());

const SETTINGS: { [K in keyof Config]: Setting<K> } = {
  role: {
    key: 'role',
    env: 'CUSTODIA_ROLE',
    allowed: '"hub" or "node"',
    parse: (r) => (r === 'hub' || r === 'node' ? r : undefined),
  },
  dataDir: { key: 'dataDir', env: 'CUSTODIA_DATA_DIR', allowed: 'a directory path', parse: nonEmpty },
  host: {
    key: 'host',
    env: 'CUSTODIA_HOST',
    allowed: 'a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0',
    parse: (r) => (/^[A-Za-z0-9.:\-[\]]+$/.test(r.trim()) ? r.trim() : undefined),
  },
  port: {
    key: 'port',
    env: 'CUSTODIA_PORT',
    allowed: 'an integer from 0 to 65535',
    parse: integer(0, 65535),
  },
  databaseUrl: {
    key: 'databaseUrl',
    env: 'CUSTODIA_DATABASE_URL',
    allowed: 'a postgres:// or postgresql:// URL, or empty for the embedded SQLite database',
    parse: (r) => (/^postgres(ql)?:\/\/\S+$/.test(r.trim()) ? r.trim() : undefined),
  },
  tenant: {
    key: 'tenant',
    env: 'CUSTODIA_TENANT',
    allowed: '1-63 lower-case letters, digits or hyphens',
    parse: (r) => (/^[a-z0-9][a-z0-9-]{0,62}$/.test(r) ? r : undefined),
  },
  logLevel: {
    key: 'logLevel',
    env: 'CUSTODIA_LOG_LEVEL',
    allowed: LOG_LEVELS.join(', '),
    parse: (r) => LOG_LEVELS.find((l) => l === r),
  },
  publicUrl: {
    key: 'publicUrl',
    env: 'CUSTODIA_PUBLIC_URL',
    allowed: 'an http(s) URL',
    parse: (r) => (/^https?:\/\/\S+$/.test(r) ? r.replace(/\/+$/, '') : undefined),
  },
  accessTokenTtlSeconds: {
    key: 'accessTokenTtlSeconds',
    env: 'CUSTODIA_ACCESS_TOKEN_TTL',
    allowed: 'seconds, 60 to 86400',
    parse: integer(60, 86_400),
  },
  refreshTokenTtlSeconds: {
    key: 'refreshTokenTtlSeconds',
    env: 'CUSTODIA_REFRESH_TOKEN_TTL',
    allowed: 'seconds, 300 to 2592000',
    parse: integer(300, 2_592_000),
  },
  bodyLimitBytes: {
    key: 'bodyLimitBytes',
    env: 'CUSTODIA_BODY_LIMIT',
    allowed: 'bytes, 1024 to 1073741824',
    parse: integer(1024, 1 << 30),
  },
  masterKey: {
    key: 'masterKey',
    env: 'CUSTODIA_MASTER_KEY',
    allowed: '32 bytes as base64 or hex',
    parse: nonEmpty,
  },
  masterKeyFile: {
    key: 'masterKeyFile',
    env: 'CUSTODIA_MASTER_KEY_FILE',
    allowed: 'a file path',
    parse: nonEmpty,
  },
  gradingScheme: {
    key: 'gradingScheme',
    env: 'CUSTODIA_GRADING_SCHEME',
    allowed: BUILT_IN_SCHEMES.join(', '),
    parse: (r) => BUILT_IN_SCHEMES.find((id) => id === r.trim()),
  },
  demoPassword: {
    key: 'demoPassword',
    env: 'CUSTODIA_DEMO_PASSWORD',
    allowed: 'a password of at least 12 characters',
    parse: (r) => (r.length >= 12 ? r : undefined),
  },
  ledgerOrigin: {
    key: 'ledgerOrigin',
    env: 'CUSTODIA_LEDGER_ORIGIN',
    allowed: 'a schema-less URL-like name without spaces or "+", e.g. audit.hospital-a.example/custodia',
    parse: (r) => (/^[A-Za-z0-9][^\s+]{0,254}$/.test(r.trim()) ? r.trim() : undefined),
  },
  ledgerWitnesses: {
    key: 'ledgerWitnesses',
    env: 'CUSTODIA_LEDGER_WITNESSES',
    allowed:
      '"<witness verifier key> <url>" entries separated by commas (the url is the peer\'s /ledger/witness)',
    parse: (r) => {
      const peers = parseWitnessPeers(r);
      return peers.ok ? peers.value.map((p) => ({ key: formatVerifierKey(p.key), url: p.url })) : undefined;
    },
  },
  ledgerQuorum: {
    key: 'ledgerQuorum',
    env: 'CUSTODIA_LEDGER_QUORUM',
    allowed: 'an integer from 0 to 100 (at most the number of witnesses)',
    parse: integer(0, 100),
  },
  ledgerWitnessFor: {
    key: 'ledgerWitnessFor',
    env: 'CUSTODIA_LEDGER_WITNESS_FOR',
    allowed: 'log verifier keys (name+hash+base64) separated by commas',
    parse: (r) => {
      const keys = r.split(/[,\s]+/).filter(Boolean);
      return keys.every((k) => parseVerifierKey(k).ok) ? keys : undefined;
    },
  },
  ledgerCheckpointMs: {
    key: 'ledgerCheckpointMs',
    env: 'CUSTODIA_LEDGER_CHECKPOINT_MS',
    allowed: 'milliseconds, 10 to 3600000',
    parse: integer(10, 3_600_000),
  },
  breakGlassMinutes: {
    key: 'breakGlassMinutes',
    env: 'CUSTODIA_BREAK_GLASS_MINUTES',
    allowed: 'minutes, 5 to 1440',
    parse: integer(5, 1440),
  },
  careRelationship: {
    key: 'careRelationship',
    env: 'CUSTODIA_CARE_RELATIONSHIP',
    allowed: CARE_SOURCES.join(', '),
    parse: (r) => CARE_SOURCES.find((c) => c === r.trim()),
  },
  careWindowDays: {
    key: 'careWindowDays',
    env: 'CUSTODIA_CARE_WINDOW_DAYS',
    allowed: 'whole days, 0 to 36500',
    parse: integer(0, 36_500),
  },
  networkZone: {
    key: 'networkZone',
    env: 'CUSTODIA_NETWORK_ZONE',
    allowed: NETWORK_ZONES.join(', '),
    parse: (r) => NETWORK_ZONES.find((z) => z === r.trim()),
  },
};

export const CONFIG_FILE_ENV = 'CUSTODIA_CONFIG';
export const DEFAULT_CONFIG_FILE = 'custodia.config.json';

function invalid(key: string, source: string, allowed: string): CustodiaError {
  return new CustodiaError(
    'invalid-config',
    `configuration ${key} (${source}) is not valid: expected ${allowed}`,
    {
      path: key,
      zh: `配置项 ${key}（${source}）的值无效：应为 ${allowed}`,
      hint: `fix ${key} in ${source}`,
    },
  );
}

/**
 * The configuration: defaults, then the config file (JSON or YAML), then CUSTODIA_* environment
 * variables. Every value is checked; a bad one stops start-up naming the key and what is allowed.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: { configFile?: string; cwd?: string } = {},
): Config {
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.configFile ?? (env[CONFIG_FILE_ENV] || undefined);
  const file = resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  const fromFile = explicit !== undefined || existsSync(file) ? readConfigFile(file) : {};

  const values: Partial<Record<keyof Config, unknown>> = {};
  for (const [key, raw] of Object.entries(fromFile)) {
    const setting = SETTINGS[key as keyof Config];
    if (!setting) {
      throw new CustodiaError('invalid-config', `unknown configuration key "${key}" in ${file}`, {
        path: key,
        zh: `配置文件中有未知的配置项“${key}”`,
        hint: `known keys: ${Object.keys(SETTINGS).join(', ')}`,
      });
    }
    const parsed = raw === null ? undefined : setting.parse(String(raw));
    if (parsed === undefined && raw !== null) throw invalid(key, file, setting.allowed);
    values[setting.key] = parsed;
  }
  for (const setting of Object.values(SETTINGS)) {
    const raw = env[setting.env];
    if (raw === undefined || (raw === '' && setting.key === 'databaseUrl')) continue;
    const parsed = setting.parse(raw);
    if (parsed === undefined) throw invalid(setting.env, 'environment', setting.allowed);
    values[setting.key] = parsed;
  }

  const dataDir = resolve(cwd, (values.dataDir as string | undefined) ?? './data');
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const port = (values.port as number | undefined) ?? 8080;
  const publicUrl =
    (values.publicUrl as string | undefined) ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const tenant = (values.tenant as string | undefined) ?? 'default';
  const witnesses = (values.ledgerWitnesses as Config['ledgerWitnesses'] | undefined) ?? [];
  const quorum =
    (values.ledgerQuorum as number | undefined) ??
    Math.floor(witnesses.length / 2) + (witnesses.length > 0 ? 1 : 0);
  if (quorum > witnesses.length)
    throw invalid('ledgerQuorum', 'configuration', `at most the ${witnesses.length} configured witnesses`);
  return {
    role: (values.role as NodeRole | undefined) ?? 'hub',
    dataDir,
    host,
    port,
    databaseUrl: values.databaseUrl as string | undefined,
    tenant,
    logLevel: (values.logLevel as LogLevel | undefined) ?? 'info',
    publicUrl,
    accessTokenTtlSeconds: (values.accessTokenTtlSeconds as number | undefined) ?? 900,
    refreshTokenTtlSeconds: (values.refreshTokenTtlSeconds as number | undefined) ?? 43_200,
    bodyLimitBytes: (values.bodyLimitBytes as number | undefined) ?? 16 * 1024 * 1024,
    masterKey: values.masterKey as string | undefined,
    masterKeyFile: resolve(
      cwd,
      (values.masterKeyFile as string | undefined) ?? resolve(dataDir, 'master.key'),
    ),
    demoPassword: values.demoPassword as string | undefined,
    gradingScheme: (values.gradingScheme as string | undefined) ?? 'seed-3-grade',
    ledgerOrigin: (values.ledgerOrigin as string | undefined) ?? defaultLedgerOrigin(publicUrl, tenant),
    ledgerWitnesses: witnesses,
    ledgerQuorum: quorum,
    ledgerWitnessFor: (values.ledgerWitnessFor as string[] | undefined) ?? [],
    ledgerCheckpointMs: (values.ledgerCheckpointMs as number | undefined) ?? 1000,
    breakGlassMinutes: (values.breakGlassMinutes as number | undefined) ?? 240,
    networkZone: (values.networkZone as NetworkZone | undefined) ?? 'internal',
    careRelationship: (values.careRelationship as CareSource | undefined) ?? 'records',
    careWindowDays: (values.careWindowDays as number | undefined) ?? DEFAULT_CARE_WINDOW_DAYS,
  };
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CustodiaError('invalid-config', `cannot read the configuration file ${file}`, {
      path: CONFIG_FILE_ENV,
      zh: `无法读取配置文件 ${file}`,
      hint: 'check the path, or unset CUSTODIA_CONFIG to use defaults',
    });
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new CustodiaError(
      'invalid-config',
      `the configuration file ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message}`,
      {
        zh: `配置文件 ${file} 格式错误`,
      },
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CustodiaError(
      'invalid-config',
      `the configuration file ${file} must hold an object of settings`,
      { zh: '配置文件必须是一个对象' },
    );
  }
  return parsed as Record<string, unknown>;
}

/** The configuration as it may be shown: secrets and credentials removed. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: config.databaseUrl
      ? config.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1@')
      : `sqlite (${config.dataDir})`,
    masterKey: config.masterKey ? '(set)' : undefined,
    demoPassword: config.demoPassword ? '(set)' : undefined,
  };
}
