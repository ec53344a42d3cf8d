import type { Kysely, Selectable } from 'kysely';
import {
  badRequest,
  conflict,
  notFound,
  newOrgId,
  newUserId,
  type Clock,
  type OrgId,
  type TenantId,
  type UserId,
} from '../core/index.js';
import type { Store } from '../store/index.js';
import {
  isOrganizationType,
  isRole,
  ORGANIZATION_TYPES,
  ROLES,
  type Organization,
  type OrganizationType,
  type Qualification,
  type Role,
  type User,
  type UserKind,
} from './model.js';
import { checkPasswordStrength, hashPassword } from './passwords.js';
import type { IdentityTables } from './tables.js';

export interface NewOrganization {
  name: string;
  nameZh?: string | null;
  type: OrganizationType | string;
  divisionCode?: string | null;
}

export interface NewUser {
  username: string;
  displayName?: string;
  kind?: UserKind;
  orgId: OrgId;
  roles: readonly string[];
  qualifications?: Qualification[];
  department?: string | null;
  patientRef?: string | null;
  /** Required for people, absent for service accounts (they use API keys). */
  password?: string;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;

/** Organizations and users of a tenant. */
export class Directory {
  private readonly db: Kysely<IdentityTables>;

  constructor(
    store: Store,
    private readonly clock: Clock,
  ) {
    this.db = store.tables<IdentityTables>();
  }

  async createOrganization(tenantId: TenantId, input: NewOrganization): Promise<Organization> {
    if (!isOrganizationType(input.type)) {
      throw badRequest(`unknown organization type "${input.type}"`, {
        hint: `use one of: ${ORGANIZATION_TYPES.join(', ')}`,
        zh: `未知的机构类型“${input.type}”`,
        path: 'type',
      });
    }
    if (!input.name.trim())
      throw badRequest('the organization needs a name', { zh: '机构名称不能为空', path: 'name' });
    if (await this.findOrganizationByName(tenantId, input.name)) {
      throw conflict(`an organization named "${input.name}" exists already`, {
        zh: `机构“${input.name}”已存在`,
      });
    }
    const org: Organization = {
      tenantId,
      id: newOrgId(),
      name: input.name.trim(),
      nameZh: input.nameZh ?? null,
      type: input.type,
      divisionCode: input.divisionCode ?? null,
      createdAt: this.clock.now(),
    };
    await this.db
      .insertInto('organization')
      .values({
        tenant_id: tenantId,
        id: org.id,
        name: org.name,
        name_zh: org.nameZh,
        type: org.type,
        division_code: org.divisionCode,
        created_at: org.createdAt,
      })
      .execute();
    return org;
  }

  async listOrganizations(tenantId: TenantId): Promise<Organization[]> {
    const rows = await this.db
      .selectFrom('organization')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('name')
      .execute();
    return rows.map(toOrganization);
  }

  async getOrganization(tenantId: TenantId, id: string): Promise<Organization> {
    const row = await this.db
      .selectFrom('organization')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound(`no organization with id ${id}`, { zh: `机构 ${id} 不存在` });
    return toOrganization(row);
  }

  async findOrganizationByName(tenantId: TenantId, name: string): Promise<Organization | undefined> {
    const row = await this.db
      .selectFrom('organization')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name.trim())
      .executeTakeFirst();
    return row ? toOrganization(row) : undefined;
  }

  async createUser(tenantId: TenantId, input: NewUser): Promise<User> {
    const username = input.username.trim().toLowerCase();
    if (!USERNAME.test(username)) {
      throw badRequest(`"${input.username}" is not a valid username`, {
        hint: '2-64 characters: lower-case letters, digits, dot, underscore, hyphen; starting with a letter or digit',
        zh: '用户名须为 2-64 个小写字母、数字、点、下划线或连字符',
        path: 'username',
      });
    }
    const roles = validateRoles(input.roles);
    const kind = input.kind ?? 'person';
    if (kind === 'person') {
      if (input.password === undefined)
        throw badRequest('a person needs a password', { zh: '用户需要设置密码', path: 'password' });
      checkPasswordStrength(input.password);
    }
    await this.getOrganization(tenantId, input.orgId);
    if (await this.findUserRow(tenantId, username)) {
      throw conflict(`the username "${username}" is taken`, { zh: `用户名“${username}”已被使用` });
    }
    const user: User = {
      tenantId,
      id: newUserId(),
      username,
      displayName: input.displayName?.trim() || username,
      kind,
      orgId: input.orgId,
      roles,
      qualifications: input.qualifications ?? [],
      department: input.department ?? null,
      patientRef: input.patientRef ?? null,
      disabled: false,
      createdAt: this.clock.now(),
    };
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    await this.db
      .insertInto('app_user')
      .values({
        tenant_id: tenantId,
        id: user.id,
        username,
        display_name: user.displayName,
        kind,
        org_id: user.orgId,
        roles: JSON.stringify(roles),
        qualifications: JSON.stringify(user.qualifications),
        department: user.department,
        patient_ref: user.patientRef,
        password_hash: passwordHash,
        disabled: 0,
        failed_logins: 0,
        locked_until: null,
        created_at: user.createdAt,
      })
      .execute();
    return user;
  }

  async getUser(tenantId: TenantId, id: UserId | string): Promise<User> {
    const row = await this.db
      .selectFrom('app_user')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound(`no user with id ${id}`, { zh: `用户 ${id} 不存在` });
    return toUser(row);
  }

  async findUser(tenantId: TenantId, username: string): Promise<User | undefined> {
    const row = await this.findUserRow(tenantId, username);
    return row ? toUser(row) : undefined;
  }

  async listUsers(tenantId: TenantId, filter: { orgId?: string } = {}): Promise<User[]> {
    let q = this.db.selectFrom('app_user').selectAll().where('tenant_id', '=', tenantId);
    if (filter.orgId) q = q.where('org_id', '=', filter.orgId);
    return (await q.orderBy('username').execute()).map(toUser);
  }

  async setDisabled(tenantId: TenantId, id: string, disabled: boolean): Promise<void> {
    const r = await this.db
      .updateTable('app_user')
      .set({ disabled: disabled ? 1 : 0 })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw notFound(`no user with id ${id}`, { zh: `用户 ${id} 不存在` });
  }

  async setPassword(tenantId: TenantId, id: string, password: string): Promise<void> {
    checkPasswordStrength(password);
    const r = await this.db
      .updateTable('app_user')
      .set({ password_hash: await hashPassword(password), failed_logins: 0, locked_until: null })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw notFound(`no user with id ${id}`, { zh: `用户 ${id} 不存在` });
  }

  /** @internal for the authenticator: the row with its password hash and lockout state. */
  findUserRow(tenantId: TenantId, username: string) {
    return this.db
      .selectFrom('app_user')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('username', '=', username.trim().toLowerCase())
      .executeTakeFirst();
  }
}

function validateRoles(roles: readonly string[]): Role[] {
  if (roles.length === 0)
    throw badRequest('a user needs at least one role', {
      hint: `roles: ${ROLES.join(', ')}`,
      zh: '用户至少需要一个角色',
      path: 'roles',
    });
  for (const role of roles) {
    if (!isRole(role)) {
      throw badRequest(`unknown role "${role}"`, {
        hint: `use one of: ${ROLES.join(', ')}`,
        zh: `未知角色“${role}”`,
        path: 'roles',
      });
    }
  }
  return [...new Set(roles as Role[])];
}

const toOrganization = (row: Selectable<IdentityTables['organization']>): Organization => ({
  tenantId: row.tenant_id as TenantId,
  id: row.id as OrgId,
  name: row.name,
  nameZh: row.name_zh,
  type: row.type as OrganizationType,
  divisionCode: row.division_code,
  createdAt: row.created_at,
});

export const toUser = (row: Selectable<IdentityTables['app_user']>): User => ({
  tenantId: row.tenant_id as TenantId,
  id: row.id as UserId,
  username: row.username,
  displayName: row.display_name,
  kind: row.kind as UserKind,
  orgId: row.org_id as OrgId,
  roles: JSON.parse(row.roles) as Role[],
  qualifications: JSON.parse(row.qualifications) as Qualification[],
  department: row.department,
  patientRef: row.patient_ref,
  disabled: row.disabled !== 0,
  createdAt: row.created_at,
});
