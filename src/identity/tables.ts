import type { Migration } from '../store/index.js';

export interface IdentityTables {
  organization: {
    tenant_id: string;
    id: string;
    name: string;
    name_zh: string | null;
    type: string;
    division_code: string | null;
    created_at: number;
  };
  app_user: {
    tenant_id: string;
    id: string;
    username: string;
    display_name: string;
    kind: string;
    org_id: string;
    roles: string;
    qualifications: string;
    department: string | null;
    patient_ref: string | null;
    password_hash: string | null;
    disabled: number;
    failed_logins: number;
    locked_until: number | null;
    created_at: number;
  };
  api_key: {
    tenant_id: string;
    id: string;
    user_id: string;
    name: string;
    secret_hash: string;
    created_at: number;
    revoked_at: number | null;
    last_used_at: number | null;
  };
  refresh_token: {
    tenant_id: string;
    id: string;
    user_id: string;
    secret_hash: string;
    expires_at: number;
    revoked_at: number | null;
    created_at: number;
  };
  revoked_access_token: {
    tenant_id: string;
    jti: string;
    expires_at: number;
  };
}

export const identityMigrations: Migration[] = [
  {
    name: '20261123_0100_identity_init',
    up: async (db, { types }) => {
      await db.schema
        .createTable('organization')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_zh', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('division_code', 'text')
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('organization_pk', ['tenant_id', 'id'])
        .addUniqueConstraint('organization_name_uq', ['tenant_id', 'name'])
        .execute();
      await db.schema
        .createTable('app_user')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('qualifications', 'text', (c) => c.notNull())
        .addColumn('department', 'text')
        .addColumn('patient_ref', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', types.bigint)
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('app_user_pk', ['tenant_id', 'id'])
        .addUniqueConstraint('app_user_username_uq', ['tenant_id', 'username'])
        .addForeignKeyConstraint('app_user_org_fk', ['tenant_id', 'org_id'], 'organization', [
          'tenant_id',
          'id',
        ])
        .execute();
      await db.schema
        .createTable('api_key')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('revoked_at', types.bigint)
        .addColumn('last_used_at', types.bigint)
        .addPrimaryKeyConstraint('api_key_pk', ['tenant_id', 'id'])
        .addForeignKeyConstraint('api_key_user_fk', ['tenant_id', 'user_id'], 'app_user', ['tenant_id', 'id'])
        .execute();
      await db.schema
        .createTable('refresh_token')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('expires_at', types.bigint, (c) => c.notNull())
        .addColumn('revoked_at', types.bigint)
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('refresh_token_pk', ['tenant_id', 'id'])
        .addForeignKeyConstraint('refresh_token_user_fk', ['tenant_id', 'user_id'], 'app_user', [
          'tenant_id',
          'id',
        ])
        .execute();
      await db.schema
        .createTable('revoked_access_token')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('jti', 'text', (c) => c.notNull())
        .addColumn('expires_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('revoked_access_token_pk', ['tenant_id', 'jti'])
        .execute();
    },
  },
];
