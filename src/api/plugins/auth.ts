import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, unauthorized, type TenantId } from '../../core/index.js';
import type { Authenticator, Principal } from '../../identity/index.js';

const BEARER = /^Bearer\s+(\S+)$/i;
const API_KEY = /^ApiKey\s+(\S+)$/i;

/**
 * Authentication is the default: every route needs a valid access token or API key unless its
 * config says `public: true`. Routes may also name the roles they admit.
 */
export function installAuth(
  app: FastifyInstance,
  authenticator: Authenticator,
  tenantId: TenantId,
  publicPrefixes: readonly string[] = [],
): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config.public || request.is404) return;
    const route = request.routeOptions.url ?? '';
    if (publicPrefixes.some((p) => route.startsWith(p))) return;
    request.principal = await authenticate(request, authenticator, tenantId);
    const roles = config.roles;
    if (roles && !request.principal.roles.some((r) => roles.includes(r))) {
      throw forbidden(`this needs one of the roles: ${roles.join(', ')}`, {
        zh: `此操作需要以下角色之一：${roles.join('、')}`,
        hint: 'ask an administrator for the role, or log in as a user who has it',
      });
    }
  });
}

async function authenticate(
  request: FastifyRequest,
  authenticator: Authenticator,
  tenantId: TenantId,
): Promise<Principal> {
  const header = request.headers.authorization;
  const apiKeyHeader = request.headers['x-api-key'];
  let principal: Principal;
  if (header && BEARER.test(header))
    principal = await authenticator.verifyAccessToken(BEARER.exec(header)![1]!);
  else if (header && API_KEY.test(header))
    principal = await authenticator.verifyApiKey(tenantId, API_KEY.exec(header)![1]!);
  else if (typeof apiKeyHeader === 'string')
    principal = await authenticator.verifyApiKey(tenantId, apiKeyHeader);
  else {
    throw unauthorized('this needs authentication', {
      hint: 'send "Authorization: Bearer <access token>" (POST /auth/token) or "Authorization: ApiKey <key>"',
      zh: '需要登录认证',
    });
  }
  if (principal.tenantId !== tenantId)
    throw unauthorized('the credential belongs to another tenant', { zh: '凭证不属于本租户' });
  const purpose = request.headers['x-purpose-of-use'];
  return typeof purpose === 'string' && purpose.trim()
    ? { ...principal, purposeOfUse: purpose.trim() }
    : principal;
}
