import type { Logger } from 'pino';
import { CustodiaError, systemClock, type Clock, type TenantId } from '../core/index.js';
import { Catalog, CollectionSync, SchemeControl, catalogMigrations } from '../catalog/index.js';
import { ConsentService, consentMigrations } from '../consent/index.js';
import { BreakGlassService, EmergencyService, PolicyService, policyMigrations } from '../policy/index.js';
import { cryptoMigrations, LocalKeyring, type KeyProvider } from '../crypto/index.js';
import {
  Alarms,
  Ledger,
  StoredWitnessState,
  Witness,
  ledgerMigrations,
  parseVerifierKey,
  parseWitnessPeers,
  type LedgerOptions,
  type WitnessPeer,
  settledOrigin,
} from '../ledger/index.js';
import type { LedgerStoreContext } from '../cli/index.js';
import {
  AccessTokens,
  Authenticator,
  Directory,
  identityMigrations,
  type LoginOutcome,
} from '../identity/index.js';
import { getScheme } from '../classify/index.js';
import { AuditTokens, ConsentGate, DeidProjects, Guard } from '../guard/index.js';
import {
  Records,
  collectionChanges,
  collectionGradeCounts,
  linkedPatientKeys,
  recordsMigrations,
} from '../records/index.js';
import { migrateToLatest, openStore, type Migration, type Store } from '../store/index.js';
import { defaultLedgerOrigin, type Config } from './config.js';

/** How often policy versions, break-glass grants and emergencies made elsewhere are picked up. */
const POLICY_REFRESH_MS = 5_000;

/** Every module's migrations, in the order the names give. */
export const ALL_MIGRATIONS: readonly Migration[] = [
  ...identityMigrations,
  ...cryptoMigrations,
  ...catalogMigrations,
  ...ledgerMigrations,
  ...recordsMigrations,
  ...consentMigrations,
  ...policyMigrations,
].sort((a, b) => a.name.localeCompare(b.name));

/** The wired modules of one Custodia process: what the server and the CLI commands work with. */
export interface System {
  config: Config;
  tenantId: TenantId;
  clock: Clock;
  store: Store;
  keys: KeyProvider;
  directory: Directory;
  authenticator: Authenticator;
  /** The tenant's audit and provenance log (tamper-evident, signed checkpoints). */
  ledger: Ledger;
  /** This node's witness of other institutions' logs (configured by ledgerWitnessFor). */
  witness: Witness;
  /** Alarms of the ledger and the witness (split views, bad checkpoints, tampering). */
  ledgerAlarms: Alarms;
  /** The clinical store. Only `guard` reads it. */
  records: Records;
  /** THE enforcement pipeline every path to clinical data goes through. */
  guard: Guard;
  /** De-identification projects: keys from the keyring, re-identification only through its gate. */
  deidProjects: DeidProjects;
  /** Dynamic consent: patients' rules, their evaluation for guard, receipts, guardians, complaints. */
  consent: ConsentService;
  /** The tenant's Cedar policies (versioned) and the decision point guard asks. */
  policies: PolicyService;
  /** Clinicians' emergency access to one patient, reviewed afterwards. */
  breakGlass: BreakGlassService;
  /** Public-health emergencies declared by a regulator. */
  emergencies: EmergencyService;
  /** The data asset catalog (数据资产台账); the tenant's chosen grading scheme is stored there. */
  catalog: Catalog;
  /** Keeps the clinical store's collection assets (volumes, grades) current in the catalog. */
  collections: CollectionSync;
  /** Switches the tenant's grading scheme and relabels the stored resources. */
  schemes: SchemeControl;
  /** Migrations this open applied (empty when the schema was up to date or migrate was off). */
  appliedMigrations: string[];
  /** Stops the background work and leaves the store open (a test drops its schema after). */
  stop(): Promise<void>;
  /** Stops the background work and closes the store. */
  close(): Promise<void>;
}

export interface OpenOptions {
  logger?: Logger;
  clock?: Clock;
  /** Run pending migrations (the server and most commands do; `migrate --status` does not). */
  migrate?: boolean;
  /** An already open store (tests give each suite its own PostgreSQL schema this way). */
  store?: Store;
}

export async function openSystem(config: Config, options: OpenOptions = {}): Promise<System> {
  const clock = options.clock ?? systemClock;
  const tenantId = config.tenant as TenantId;
  const store = options.store ?? (await openDatabase(config));
  try {
    const appliedMigrations =
      options.migrate === false ? [] : (await migrateToLatest(store, ALL_MIGRATIONS)).applied;
    const keys = await openKeys(config);
    const signingKey = await keys.signingKey('access-token');
    const tokens = new AccessTokens(signingKey, config.publicUrl, config.accessTokenTtlSeconds, clock);
    const directory = new Directory(store, clock);
    const logger = options.logger;
    const ledgerAlarms = new Alarms();
    const ledger = await Ledger.open(store, {
      ...(await ledgerOptions(config, keys, clock)),
      alarms: ledgerAlarms,
    });
    const witness = await openWitness(config, store, keys, clock, ledgerAlarms, ledger.origin);
    const authenticator = new Authenticator(store, directory, tokens, clock, {
      refreshTtlSeconds: config.refreshTokenTtlSeconds,
      // The login entry is durable before the answer: a success that cannot be recorded fails.
      onLogin: async (tenant, outcome: LoginOutcome) => {
        logger?.info(
          outcome.outcome === 'success'
            ? { event: 'login', outcome: 'success', user: outcome.user.id }
            : { event: 'login', outcome: 'failure', reason: outcome.reason },
          'login',
        );
        try {
          await recordLogin(ledger, directory, tenant, outcome, clock);
        } catch (error) {
          logger?.error({ err: error }, 'could not record a login in the ledger');
          throw error;
        }
      },
    });
    await authenticator.loadRevocations();
    // The scheme a tenant chose (custodia classify scheme) wins over the configured default.
    const catalog = new Catalog({ store, clock, defaultScheme: config.gradingScheme });
    const records = await Records.open({
      store,
      tenant: tenantId,
      keys,
      scheme: getScheme(await catalog.tenantScheme(tenantId)),
      clock,
    });
    const consent = new ConsentService({
      store,
      tenant: tenantId,
      scheme: records.scheme,
      keys,
      issuer: config.publicUrl,
      clock,
      audit: new ConsentGate(ledger, await AuditTokens.create(keys, tenantId), clock).record,
      organizationType: async (orgId) => (await directory.getOrganization(tenantId, orgId)).type,
      // One person's rules decide for their records at every hospital (统一调阅编码).
      linkedRecords: (patient) => linkedPatientKeys(records, patient),
    });
    const policies = await PolicyService.open({ store, tenant: tenantId, scheme: records.scheme, clock });
    const breakGlass = await BreakGlassService.open({
      store,
      tenant: tenantId,
      clock,
      defaultTtlMs: config.breakGlassMinutes * 60_000,
    });
    const emergencies = await EmergencyService.open({ store, tenant: tenantId, clock });
    const guard = await Guard.create({
      records,
      ledger,
      keys,
      consent,
      tenant: tenantId,
      clock,
      policy: {
        policies,
        breakGlass,
        emergencies,
        networkZone: config.networkZone,
        careSource: config.careRelationship,
        careWindowDays: config.careWindowDays,
        organizations: async (orgId) => {
          const org = await directory.getOrganization(tenantId, orgId);
          return { type: org.type, divisionCode: org.divisionCode };
        },
      },
    });
    await policies.installInitial((note) => guard.recordPolicyEvent(note));
    // Policy versions, grants and declarations made by other processes (the CLI, other nodes).
    const policyRefresh = setInterval(() => {
      void Promise.all([policies.refresh(), breakGlass.refresh(), emergencies.refresh()]).catch(
        (error: unknown) =>
          logger?.error({ err: error }, 'could not refresh policies, break-glass grants or emergencies'),
      );
    }, POLICY_REFRESH_MS);
    policyRefresh.unref();
    const deidProjects = new DeidProjects(keys, tenantId, ledger, clock);
    const collections = new CollectionSync(
      catalog,
      tenantId,
      {
        lastChanges: () => collectionChanges(records),
        gradeCounts: (t) => collectionGradeCounts(records, t),
      },
      { clock },
    );
    const schemes = new SchemeControl({
      catalog,
      tenant: tenantId,
      collections,
      useScheme: (scheme) => {
        records.useScheme(scheme);
        consent.useScheme(scheme);
        policies.pdp.useScheme(scheme);
      },
      relabel: (scheme, o) => guard.relabel(scheme, o),
      clock,
    });
    /** Background work (policy refresh, relabelling, catalog sync, ledger indexing) stopped. */
    const stop = async () => {
      clearInterval(policyRefresh);
      await schemes.stop();
      await collections.stop();
      await ledger.close();
    };
    return {
      config,
      tenantId,
      clock,
      store,
      keys,
      directory,
      authenticator,
      ledger,
      witness,
      ledgerAlarms,
      records,
      guard,
      deidProjects,
      consent,
      policies,
      breakGlass,
      emergencies,
      catalog,
      collections,
      schemes,
      appliedMigrations,
      stop,
      close: async () => {
        await stop();
        await store.close();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}

export async function openDatabase(config: Config): Promise<Store> {
  try {
    return await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  } catch (e) {
    if (e instanceof CustodiaError) throw e;
    throw new CustodiaError('unavailable', `cannot open the database: ${(e as Error).message}`, {
      zh: '无法打开数据库',
      hint: config.databaseUrl
        ? 'check CUSTODIA_DATABASE_URL and that PostgreSQL is running'
        : `check that ${config.dataDir} is writable`,
      cause: e,
    });
  }
}

/** The ledger's checkpoint origin: `ledgerOrigin`, by default e.g. `127.0.0.1:8080/custodia/default`. */
export function ledgerOrigin(config: Config): string {
  return config.ledgerOrigin;
}

/** The configured peer witnesses with their keys parsed (validated when the config was loaded). */
export function witnessPeers(config: Config): WitnessPeer[] {
  const peers = parseWitnessPeers(config.ledgerWitnesses.map((w) => `${w.key} ${w.url}`).join(','));
  if (!peers.ok)
    throw new CustodiaError('invalid-config', `ledgerWitnesses: ${peers.problem}`, { zh: '见证者配置无效' });
  return peers.value;
}

const openKeys = (config: Config) =>
  LocalKeyring.open({
    dataDir: config.dataDir,
    masterKeyFile: config.masterKeyFile,
    env: { CUSTODIA_MASTER_KEY: config.masterKey },
  });

/**
 * The ledger's store and keys without the rest of the system and without the log writer: what
 * `custodia ledger verify` needs, and it must work on a log too damaged to open for appending.
 */
export async function openLedgerStore(
  config: Config,
): Promise<LedgerStoreContext & { close(): Promise<void> }> {
  const store = await openDatabase(config);
  try {
    const wanted = await ledgerOptions(config, await openKeys(config));
    return {
      store,
      options: { ...wanted, origin: await settledOrigin(store, wanted) },
      witnesses: witnessPeers(config),
      quorum: config.ledgerQuorum,
      close: () => store.close(),
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** How the tenant's log is opened: by the system, and by `custodia ledger` without the rest. */
export async function ledgerOptions(config: Config, keys: KeyProvider, clock: Clock = systemClock) {
  return {
    tenantId: config.tenant,
    origin: ledgerOrigin(config),
    originIsDefault: config.ledgerOrigin === defaultLedgerOrigin(config.publicUrl, config.tenant),
    signingKey: (await keys.signingKey('ledger')).privateKey,
    cadence: { everyMs: config.ledgerCheckpointMs },
    clock,
  } satisfies LedgerOptions;
}

async function openWitness(
  config: Config,
  store: Store,
  keys: KeyProvider,
  clock: Clock,
  alarms: Alarms,
  logOrigin: string,
) {
  const name = `${logOrigin}/witness`;
  return new Witness({
    name,
    signingKey: (await keys.signingKey('ledger-witness')).privateKey,
    logs: config.ledgerWitnessFor.map((text) => {
      const key = parseVerifierKey(text);
      if (!key.ok)
        throw new CustodiaError('invalid-config', `ledgerWitnessFor: ${key.problem}`, {
          zh: '见证日志公钥无效',
        });
      // A log's note key is named after its origin (C2SP tlog-checkpoint).
      return { origin: key.value.name, keys: [key.value] };
    }),
    state: new StoredWitnessState(store, config.tenant, name, clock),
    clock,
    alarms,
  });
}

/**
 * A login attempt as a ledger entry: the user's id (or `anonymous` when the name matches no one),
 * never the name typed or the password.
 */
async function recordLogin(
  ledger: Ledger,
  directory: Directory,
  tenantId: TenantId,
  outcome: LoginOutcome,
  clock: Clock,
): Promise<unknown> {
  const user =
    outcome.outcome === 'success' ? outcome.user : await directory.findUser(tenantId, outcome.username);
  return ledger.append({
    kind: 'login',
    actor: user?.id ?? 'anonymous',
    organization: user?.orgId ?? 'unknown',
    action: 'auth.login',
    targets: [],
    decision: outcome.outcome === 'success' ? 'permit' : 'deny',
    reason: outcome.outcome === 'success' ? 'password verified' : outcome.reason,
    time: clock.now(),
  });
}
