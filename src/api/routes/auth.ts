import { parsePurpose } from '../../consent/index.js';
import type { FastifyInstance } from 'fastify';
import type { TenantId } from '../../core/index.js';
import type { Authenticator, Directory } from '../../identity/index.js';

export interface AuthDeps {
  authenticator: Authenticator;
  directory: Directory;
  tenantId: TenantId;
}

const tokenResponse = {
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    refresh_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_in: { type: 'integer' },
  },
} as const;

/** Login, refresh, logout and "who am I". */
export async function authRoutes(app: FastifyInstance, deps: AuthDeps): Promise<void> {
  app.post<{ Body: { username: string; password: string; purpose_of_use?: string } }>(
    '/auth/token',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a username and password; returns an access token and a refresh token',
        security: [],
        body: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 128 },
            password: { type: 'string', minLength: 1, maxLength: 1024 },
            purpose_of_use: {
              type: 'string',
              minLength: 1,
              maxLength: 64,
              description:
                'The purpose of use (HL7 PurposeOfUse code, e.g. TREAT) the access token carries; X-Purpose-Of-Use on a request overrides it',
            },
          },
        },
        response: { 200: tokenResponse },
      },
    },
    async (request, reply) => {
      const purpose = request.body.purpose_of_use;
      if (purpose !== undefined) parsePurpose(purpose, 'purpose_of_use');
      const pair = await deps.authenticator.login(
        deps.tenantId,
        request.body.username,
        request.body.password,
        request.ip,
        purpose,
      );
      reply.header('cache-control', 'no-store');
      return pair;
    },
  );

  app.post<{ Body: { refresh_token: string } }>(
    '/auth/refresh',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for a new token pair (the old refresh token is spent)',
        security: [],
        body: {
          type: 'object',
          required: ['refresh_token'],
          additionalProperties: false,
          properties: { refresh_token: { type: 'string', maxLength: 512 } },
        },
        response: { 200: tokenResponse },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return deps.authenticator.refresh(deps.tenantId, request.body.refresh_token);
    },
  );

  app.post<{ Body: { refresh_token?: string } | undefined }>(
    '/auth/revoke',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log out: revoke the presented access token and, if given, the refresh token',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { refresh_token: { type: 'string', maxLength: 512 } },
        },
      },
    },
    async (request, reply) => {
      await deps.authenticator.revoke(request.principal!, request.body?.refresh_token);
      return reply.status(204).send();
    },
  );

  app.get(
    '/auth/me',
    { schema: { tags: ['auth'], summary: 'The authenticated user, their organization and roles' } },
    async (request) => {
      const p = request.principal!;
      return {
        id: p.userId,
        username: p.username,
        kind: p.kind,
        organization: p.orgId,
        roles: p.roles,
        qualifications: p.qualifications,
        department: p.department,
        patient: p.patientRef,
        purposeOfUse: p.purposeOfUse,
      };
    },
  );
}
