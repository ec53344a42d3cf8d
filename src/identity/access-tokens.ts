import type { KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { unauthorized, uuidv7, type Clock, type OrgId, type TenantId, type UserId } from '../core/index.js';
import type { Principal, Qualification, Role, User } from './model.js';

/** An Ed25519 key pair with its key id, from the key provider. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

interface Claims {
  tid: string;
  org: string;
  usr: string;
  knd: 'person' | 'service';
  rol: Role[];
  qua: Qualification[];
  dep: string | null;
  pat: string | null;
  /** The purpose of use declared at login, when one was. */
  pou?: string;
}

const MAX_CACHED = 20_000;

/**
 * Short-lived EdDSA-signed JWT access tokens. Verifying a signature costs ~60 µs, which the read
 * budget cannot pay on every request, so a verified token is remembered until it expires. The
 * cache is keyed by the whole token: only the exact bytes that were verified ever hit it.
 */
export class AccessTokens {
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number }>();
  private readonly revoked = new Set<string>();

  constructor(
    private readonly key: SigningKey,
    private readonly issuer: string,
    private readonly ttlSeconds: number,
    private readonly clock: Clock,
  ) {}

  get expiresIn(): number {
    return this.ttlSeconds;
  }

  async issue(user: User, purposeOfUse?: string): Promise<{ token: string; jti: string; expiresAt: number }> {
    const jti = uuidv7();
    const iat = Math.floor(this.clock.now() / 1000);
    const claims: Claims = {
      tid: user.tenantId,
      org: user.orgId,
      usr: user.username,
      knd: user.kind,
      rol: user.roles,
      qua: user.qualifications,
      dep: user.department,
      pat: user.patientRef,
      ...(purposeOfUse === undefined ? {} : { pou: purposeOfUse }),
    };
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setSubject(user.id)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttlSeconds)
      .sign(this.key.privateKey);
    return { token, jti, expiresAt: (iat + this.ttlSeconds) * 1000 };
  }

  async verify(token: string): Promise<Principal> {
    const now = this.clock.now();
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.expiresAt > now && !this.revoked.has(hit.principal.credentialId)) return hit.principal;
      this.verified.delete(token);
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key.publicKey, {
        issuer: this.issuer,
        algorithms: ['EdDSA'],
        typ: 'at+jwt',
        currentDate: new Date(now),
      }));
    } catch (e) {
      const expired = e instanceof joseErrors.JWTExpired;
      throw unauthorized(expired ? 'the access token has expired' : 'the access token is not valid', {
        hint: expired
          ? 'get a new one with your refresh token at POST /auth/refresh'
          : 'log in again at POST /auth/token',
        zh: expired ? '访问令牌已过期，请刷新' : '访问令牌无效，请重新登录',
      });
    }
    const jti = String(payload.jti);
    if (this.revoked.has(jti)) {
      throw unauthorized('the access token has been revoked', {
        hint: 'log in again',
        zh: '访问令牌已被吊销，请重新登录',
      });
    }
    const c = payload as unknown as Claims;
    const principal: Principal = {
      tenantId: c.tid as TenantId,
      userId: String(payload.sub) as UserId,
      username: c.usr,
      kind: c.knd,
      orgId: c.org as OrgId,
      roles: c.rol,
      qualifications: c.qua,
      department: c.dep,
      patientRef: c.pat,
      credentialId: jti,
      purposeOfUse: c.pou ?? null,
    };
    this.remember(token, principal, (payload.exp ?? 0) * 1000);
    return principal;
  }

  /** Marks a token id revoked in this process (the authenticator persists it). */
  markRevoked(jti: string): void {
    this.revoked.add(jti);
  }

  private remember(token: string, principal: Principal, expiresAt: number): void {
    if (this.verified.size >= MAX_CACHED) {
      const now = this.clock.now();
      for (const [t, v] of this.verified) if (v.expiresAt <= now) this.verified.delete(t);
      if (this.verified.size >= MAX_CACHED) this.verified.delete(this.verified.keys().next().value as string);
    }
    this.verified.set(token, { principal, expiresAt });
  }
}
