import type { TenantId } from '../core/index.js';
import type { Catalog, CollectionSync, SchemeControl } from '../catalog/index.js';
import type { Authenticator, Directory } from '../identity/index.js';
import type { DeidProjects, Guard } from '../guard/index.js';
import type { Ledger, LedgerOptions, WitnessPeer } from '../ledger/index.js';
import type { MigrationReport, Store } from '../store/index.js';
import type { BreakGlassService, EmergencyService, PolicyService } from '../policy/index.js';

/** What a command may work with once the system is open. */
export interface CommandContext {
  tenantId: TenantId;
  directory: Directory;
  authenticator: Authenticator;
  ledger: Ledger;
  guard: Guard;
  /** De-identification projects' keys (custodia deid --project). */
  deidProjects: DeidProjects;
  /** The data asset catalog, its collection refresher and the tenant's grading scheme. */
  catalog: Catalog;
  collections: CollectionSync;
  schemes: SchemeControl;
  /** Policy versions, break-glass grants and public-health emergencies (custodia policy|break-glass|emergency). */
  policies: PolicyService;
  breakGlass: BreakGlassService;
  emergencies: EmergencyService;
  config: { publicUrl: string };
}

/** The tenant's ledger as stored, for verification: no writer is opened until a command asks. */
export interface LedgerStoreContext {
  store: Store;
  /** What `Ledger.open` needs: tenant, origin, signing key, cadence. */
  options: LedgerOptions;
  witnesses: WitnessPeer[];
  quorum: number;
}

/**
 * The composition root (src/app) implements this; the CLI only parses arguments and prints.
 * Keeping it an interface keeps the dependency pointing from app to cli, never back.
 */
export interface Runtime {
  version: string;
  /** The effective configuration without secrets (throws on a bad value). */
  describeConfig(configFile: string | undefined): Record<string, unknown>;
  init(
    configFile: string | undefined,
  ): Promise<{ dataDir: string; database: string; keyring: string; masterKey: string; migrations: string[] }>;
  migrate(configFile: string | undefined, options: { statusOnly: boolean }): Promise<MigrationReport>;
  /** Starts the server and resolves when it has stopped (after SIGINT/SIGTERM). */
  serve(configFile: string | undefined, options: { demo: boolean }): Promise<void>;
  withContext<T>(configFile: string | undefined, work: (ctx: CommandContext) => Promise<T>): Promise<T>;
  /** Opens only the ledger's store and keys (a damaged log must still be examinable). */
  withLedgerStore<T>(
    configFile: string | undefined,
    work: (ctx: LedgerStoreContext) => Promise<T>,
  ): Promise<T>;
}
