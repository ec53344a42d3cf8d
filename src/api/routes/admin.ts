import type { FastifyInstance } from 'fastify';
import type { TenantId } from '../../core/index.js';
import {
  ORGANIZATION_TYPES,
  ROLES,
  type Authenticator,
  type Directory,
  type Qualification,
} from '../../identity/index.js';

export interface AdminDeps {
  authenticator: Authenticator;
  directory: Directory;
  tenantId: TenantId;
}

const adminOnly = { roles: ['admin'] as const };

/** Organizations, users and API keys: the administrator's part of identity. */
export async function adminRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const { directory, authenticator, tenantId } = deps;

  app.get(
    '/admin/organizations',
    { config: adminOnly, schema: { tags: ['admin'], summary: 'List organizations' } },
    async () => directory.listOrganizations(tenantId),
  );

  app.post<{ Body: { name: string; nameZh?: string; type: string; divisionCode?: string } }>(
    '/admin/organizations',
    {
      config: adminOnly,
      schema: {
        tags: ['admin'],
        summary: 'Create an organization',
        body: {
          type: 'object',
          required: ['name', 'type'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            nameZh: { type: 'string', maxLength: 200 },
            type: { type: 'string', enum: [...ORGANIZATION_TYPES] },
            divisionCode: { type: 'string', pattern: '^\\d{6}$' },
          },
        },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await directory.createOrganization(tenantId, request.body)),
  );

  app.get<{ Querystring: { org?: string } }>(
    '/admin/users',
    {
      config: adminOnly,
      schema: {
        tags: ['admin'],
        summary: 'List users',
        querystring: { type: 'object', properties: { org: { type: 'string' } } },
      },
    },
    async (request) => directory.listUsers(tenantId, request.query.org ? { orgId: request.query.org } : {}),
  );

  app.post<{
    Body: {
      username: string;
      displayName?: string;
      kind?: 'person' | 'service';
      orgId: string;
      roles: string[];
      qualifications?: Qualification[];
      department?: string;
      password?: string;
    };
  }>(
    '/admin/users',
    {
      config: adminOnly,
      schema: {
        tags: ['admin'],
        summary: 'Create a user or service account',
        body: {
          type: 'object',
          required: ['username', 'orgId', 'roles'],
          additionalProperties: false,
          properties: {
            username: { type: 'string' },
            displayName: { type: 'string', maxLength: 200 },
            kind: { type: 'string', enum: ['person', 'service'] },
            orgId: { type: 'string' },
            roles: { type: 'array', minItems: 1, items: { type: 'string', enum: [...ROLES] } },
            qualifications: {
              type: 'array',
              items: {
                type: 'object',
                required: ['type', 'value'],
                additionalProperties: false,
                properties: {
                  type: { type: 'string' },
                  value: { type: 'string' },
                  validUntil: { type: 'integer' },
                },
              },
            },
            department: { type: 'string', maxLength: 200 },
            password: { type: 'string', maxLength: 1024 },
          },
        },
      },
    },
    async (request, reply) => {
      const { orgId, ...rest } = request.body;
      const user = await directory.createUser(tenantId, { ...rest, orgId: orgId as never });
      return reply.status(201).send(user);
    },
  );

  app.post<{ Params: { id: string }; Body: { name: string } }>(
    '/admin/users/:id/api-keys',
    {
      config: adminOnly,
      schema: {
        tags: ['admin'],
        summary: 'Create an API key for a user or service account (shown once)',
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 200 } },
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return reply
        .status(201)
        .send(await authenticator.createApiKey(tenantId, request.params.id, request.body.name));
    },
  );

  app.delete<{ Params: { keyId: string } }>(
    '/admin/api-keys/:keyId',
    { config: adminOnly, schema: { tags: ['admin'], summary: 'Revoke an API key' } },
    async (request, reply) => {
      await authenticator.revokeApiKey(tenantId, request.params.keyId);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/users/:id/unlock',
    { config: adminOnly, schema: { tags: ['admin'], summary: 'Lift a login lockout' } },
    async (request, reply) => {
      await authenticator.unlock(tenantId, request.params.id);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { id: string }; Body: { disabled: boolean } }>(
    '/admin/users/:id/disabled',
    {
      config: adminOnly,
      schema: {
        tags: ['admin'],
        summary: 'Disable or enable a user; disabling also ends their sessions',
        body: {
          type: 'object',
          required: ['disabled'],
          additionalProperties: false,
          properties: { disabled: { type: 'boolean' } },
        },
      },
    },
    async (request, reply) => {
      await directory.setDisabled(tenantId, request.params.id, request.body.disabled);
      if (request.body.disabled) await authenticator.revokeAllRefreshTokens(tenantId, request.params.id);
      return reply.status(204).send();
    },
  );
}
