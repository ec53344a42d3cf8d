import type { Kysely } from 'kysely';
import {
  CustodiaError,
  forbidden,
  notFound,
  unauthorized,
  type Clock,
  type TenantId,
  type UserId,
} from '../core/index.js';
import type { Store } from '../store/index.js';
import type { AccessTokens } from './access-tokens.js';
import { toUser, type Directory } from './directory.js';
import { AttemptCounter, DEFAULT_LOCKOUT, type LockoutPolicy } from './lockout.js';
import type { Principal, User } from './model.js';
import { verifyAgainstNothing, verifyPassword } from './passwords.js';
import { hashSecret, newOpaqueCredential, parseOpaqueCredential, secretMatches } from './secrets.js';
import type { IdentityTables } from './tables.js';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** What happened at a login, for the audit ledger: never the password. */
export type LoginOutcome =
  | { outcome: 'success'; user: User }
  | {
      outcome: 'failure';
      username: string;
      reason: 'bad-credentials' | 'locked' | 'rate-limited' | 'disabled';
    };

export interface AuthenticatorOptions {
  refreshTtlSeconds: number;
  lockout?: LockoutPolicy;
  /**
   * Called after each login attempt (the ledger records it). A success is answered only once the
   * returned promise resolves, so a success that cannot be recorded fails; a failure is answered
   * with its own error whatever the recording does (the callback reports its own errors).
   */
  onLogin?: (tenantId: TenantId, outcome: LoginOutcome) => Promise<void>;
}

const BAD_CREDENTIALS = () =>
  unauthorized('the username or password is wrong', {
    hint: 'check both; after 5 failures in a row the account is locked for 15 minutes',
    zh: '用户名或密码错误',
  });

const TOO_MANY = (retryAfter: number) =>
  new CustodiaError('too-many-requests', 'too many failed logins; try again later', {
    retryAfter,
    hint: `wait ${retryAfter} s, or ask an administrator to unlock the account`,
    zh: '登录失败次数过多，请稍后再试',
  });

const API_KEY_PREFIX = 'ck';
const REFRESH_PREFIX = 'rt';
const API_KEY_CACHE_MS = 30_000;

/**
 * Logins, refresh, revocation and API keys. A wrong password and an unknown user get the same
 * answer, take the same time and lock the same way, so the API reveals no usernames.
 */
export class Authenticator {
  private readonly db: Kysely<IdentityTables>;
  private readonly lockout: LockoutPolicy;
  private readonly perAddress: AttemptCounter;
  private readonly unknownUserFailures: AttemptCounter;
  private readonly apiKeyCache = new Map<string, { principal: Principal; until: number }>();

  constructor(
    store: Store,
    private readonly directory: Directory,
    private readonly tokens: AccessTokens,
    private readonly clock: Clock,
    private readonly options: AuthenticatorOptions,
  ) {
    this.db = store.tables<IdentityTables>();
    this.lockout = options.lockout ?? DEFAULT_LOCKOUT;
    this.perAddress = new AttemptCounter(
      clock,
      this.lockout.maxAttemptsPerAddress,
      this.lockout.addressWindowMs,
    );
    this.unknownUserFailures = new AttemptCounter(clock, this.lockout.maxFailures - 1, this.lockout.lockMs);
  }

  /** Loads the revocations that are still in force (at start-up). */
  async loadRevocations(): Promise<void> {
    const rows = await this.db
      .selectFrom('revoked_access_token')
      .select('jti')
      .where('expires_at', '>', this.clock.now())
      .execute();
    for (const r of rows) this.tokens.markRevoked(r.jti);
  }

  async login(
    tenantId: TenantId,
    username: string,
    password: string,
    clientAddress: string,
    /** A purpose of use the access token carries (checked by the caller); a header still overrides it. */
    purposeOfUse?: string,
  ): Promise<TokenPair> {
    const name = username.trim().toLowerCase();
    const report = async (outcome: LoginOutcome) => {
      if (outcome.outcome === 'success') await this.options.onLogin?.(tenantId, outcome);
      else await this.options.onLogin?.(tenantId, outcome).catch(() => undefined);
    };
    const wait = this.perAddress.hit(clientAddress);
    if (wait > 0) {
      await report({ outcome: 'failure', username: name, reason: 'rate-limited' });
      throw TOO_MANY(wait);
    }
    const row = await this.directory.findUserRow(tenantId, name);
    const now = this.clock.now();
    if (!row || row.password_hash === null) {
      if (this.unknownUserFailures.count(name) >= this.lockout.maxFailures) {
        await report({ outcome: 'failure', username: name, reason: 'locked' });
        throw TOO_MANY(Math.ceil(this.lockout.lockMs / 1000));
      }
      await verifyAgainstNothing(password);
      this.unknownUserFailures.hit(name);
      await report({ outcome: 'failure', username: name, reason: 'bad-credentials' });
      throw BAD_CREDENTIALS();
    }
    if (row.locked_until !== null && row.locked_until > now) {
      await report({ outcome: 'failure', username: name, reason: 'locked' });
      throw TOO_MANY(Math.ceil((row.locked_until - now) / 1000));
    }
    if (!(await verifyPassword(row.password_hash, password))) {
      const failures = row.failed_logins + 1;
      const locks = failures >= this.lockout.maxFailures;
      await this.db
        .updateTable('app_user')
        .set({ failed_logins: locks ? 0 : failures, locked_until: locks ? now + this.lockout.lockMs : null })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', row.id)
        .execute();
      await report({ outcome: 'failure', username: name, reason: 'bad-credentials' });
      throw BAD_CREDENTIALS();
    }
    if (row.disabled) {
      await report({ outcome: 'failure', username: name, reason: 'disabled' });
      throw forbidden('this account is disabled', {
        hint: 'ask an administrator',
        zh: '账户已停用，请联系管理员',
      });
    }
    if (row.failed_logins > 0 || row.locked_until !== null) {
      await this.db
        .updateTable('app_user')
        .set({ failed_logins: 0, locked_until: null })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', row.id)
        .execute();
    }
    const user = toUser(row);
    await report({ outcome: 'success', user });
    return this.issuePair(user, purposeOfUse);
  }

  /** Exchanges a refresh token for a new pair; the old one is spent. Reuse of a spent one revokes them all. */
  async refresh(tenantId: TenantId, refreshToken: string): Promise<TokenPair> {
    const parsed = parseOpaqueCredential(REFRESH_PREFIX, refreshToken);
    const invalid = () =>
      unauthorized('the refresh token is not valid', {
        hint: 'log in again',
        zh: '刷新令牌无效，请重新登录',
      });
    if (!parsed) throw invalid();
    const row = await this.db
      .selectFrom('refresh_token')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', parsed.id)
      .executeTakeFirst();
    if (!row || !secretMatches(parsed.secret, row.secret_hash)) throw invalid();
    const now = this.clock.now();
    if (row.revoked_at !== null) {
      // A spent token presented again means it leaked: end every session of the user.
      await this.revokeAllRefreshTokens(tenantId, row.user_id);
      throw invalid();
    }
    if (row.expires_at <= now) throw invalid();
    const user = await this.directory.getUser(tenantId, row.user_id);
    if (user.disabled) throw forbidden('this account is disabled', { zh: '账户已停用' });
    const spent = await this.db
      .updateTable('refresh_token')
      .set({ revoked_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', row.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(spent.numUpdatedRows) === 0) throw invalid();
    return this.issuePair(user);
  }

  /** Revokes the presented access token and, when given, the refresh token (logout). */
  async revoke(principal: Principal, refreshToken?: string): Promise<void> {
    await this.revokeAccessToken(
      principal.tenantId,
      principal.credentialId,
      this.clock.now() + this.tokens.expiresIn * 1000,
    );
    if (refreshToken) {
      const parsed = parseOpaqueCredential(REFRESH_PREFIX, refreshToken);
      if (parsed) {
        await this.db
          .updateTable('refresh_token')
          .set({ revoked_at: this.clock.now() })
          .where('tenant_id', '=', principal.tenantId)
          .where('id', '=', parsed.id)
          .where('user_id', '=', principal.userId)
          .execute();
      }
    }
  }

  async revokeAccessToken(tenantId: TenantId, jti: string, expiresAt: number): Promise<void> {
    this.tokens.markRevoked(jti);
    await this.db
      .insertInto('revoked_access_token')
      .values({ tenant_id: tenantId, jti, expires_at: expiresAt })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async revokeAllRefreshTokens(tenantId: TenantId, userId: string): Promise<void> {
    await this.db
      .updateTable('refresh_token')
      .set({ revoked_at: this.clock.now() })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async unlock(tenantId: TenantId, userId: string): Promise<void> {
    const r = await this.db
      .updateTable('app_user')
      .set({ failed_logins: 0, locked_until: null })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', userId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0)
      throw notFound(`no user with id ${userId}`, { zh: `用户 ${userId} 不存在` });
  }

  verifyAccessToken(token: string): Promise<Principal> {
    return this.tokens.verify(token);
  }

  /** Creates an API key for a user (typically a service account). The key is shown once. */
  async createApiKey(
    tenantId: TenantId,
    userId: UserId | string,
    name: string,
  ): Promise<{ id: string; key: string }> {
    await this.directory.getUser(tenantId, userId);
    const cred = newOpaqueCredential(API_KEY_PREFIX);
    await this.db
      .insertInto('api_key')
      .values({
        tenant_id: tenantId,
        id: cred.id,
        user_id: userId,
        name,
        secret_hash: hashSecret(cred.secret),
        created_at: this.clock.now(),
        revoked_at: null,
        last_used_at: null,
      })
      .execute();
    return { id: cred.id, key: cred.token };
  }

  async revokeApiKey(tenantId: TenantId, id: string): Promise<void> {
    const r = await this.db
      .updateTable('api_key')
      .set({ revoked_at: this.clock.now() })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0)
      throw notFound(`no API key with id ${id}`, { zh: `API 密钥 ${id} 不存在` });
    for (const [key, v] of this.apiKeyCache)
      if (v.principal.credentialId === id) this.apiKeyCache.delete(key);
  }

  async verifyApiKey(tenantId: TenantId, key: string): Promise<Principal> {
    const now = this.clock.now();
    const hit = this.apiKeyCache.get(key);
    if (hit && hit.until > now && hit.principal.tenantId === tenantId) return hit.principal;
    const invalid = () =>
      unauthorized('the API key is not valid', {
        hint: 'check the key or ask for a new one',
        zh: 'API 密钥无效',
      });
    const parsed = parseOpaqueCredential(API_KEY_PREFIX, key);
    if (!parsed) throw invalid();
    const row = await this.db
      .selectFrom('api_key')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', parsed.id)
      .executeTakeFirst();
    if (!row || row.revoked_at !== null || !secretMatches(parsed.secret, row.secret_hash)) throw invalid();
    const user = await this.directory.getUser(tenantId, row.user_id);
    if (user.disabled) throw forbidden('this account is disabled', { zh: '账户已停用' });
    await this.db
      .updateTable('api_key')
      .set({ last_used_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', row.id)
      .execute();
    const principal = principalOf(user, row.id);
    this.apiKeyCache.set(key, { principal, until: now + API_KEY_CACHE_MS });
    return principal;
  }

  private async issuePair(user: User, purposeOfUse?: string): Promise<TokenPair> {
    const access = await this.tokens.issue(user, purposeOfUse);
    const refresh = newOpaqueCredential(REFRESH_PREFIX);
    const now = this.clock.now();
    await this.db
      .insertInto('refresh_token')
      .values({
        tenant_id: user.tenantId,
        id: refresh.id,
        user_id: user.id,
        secret_hash: hashSecret(refresh.secret),
        expires_at: now + this.options.refreshTtlSeconds * 1000,
        revoked_at: null,
        created_at: now,
      })
      .execute();
    return {
      access_token: access.token,
      refresh_token: refresh.token,
      token_type: 'Bearer',
      expires_in: this.tokens.expiresIn,
    };
  }
}

export const principalOf = (user: User, credentialId: string): Principal => ({
  tenantId: user.tenantId,
  userId: user.id,
  username: user.username,
  kind: user.kind,
  orgId: user.orgId,
  roles: user.roles,
  qualifications: user.qualifications,
  department: user.department,
  patientRef: user.patientRef,
  credentialId,
  purposeOfUse: null,
});
