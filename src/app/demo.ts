import { randomBytes } from 'node:crypto';
import type { OrgId } from '../core/index.js';
import type { OrganizationType, Role } from '../identity/index.js';
import { seedDemoPatients } from './demo-data.js';
import type { System } from './system.js';

/** The demo region: a regional platform, three hospitals, a research institute and a regulator. */
const ORGANIZATIONS: {
  key: string;
  name: string;
  nameZh: string;
  type: OrganizationType;
  divisionCode: string;
}[] = [
  {
    key: 'platform',
    name: 'Demo Regional Health Information Platform',
    nameZh: '示范区域全民健康信息平台',
    type: 'regional-platform',
    divisionCode: '110000',
  },
  {
    key: 'hospital-1',
    name: 'Demo First People’s Hospital',
    nameZh: '示范市第一人民医院',
    type: 'hospital',
    divisionCode: '110105',
  },
  {
    key: 'hospital-2',
    name: 'Demo Hospital of Traditional Chinese Medicine',
    nameZh: '示范市中医医院',
    type: 'hospital',
    divisionCode: '110108',
  },
  {
    key: 'hospital-3',
    name: 'Demo Women and Children’s Hospital',
    nameZh: '示范市妇幼保健院',
    type: 'hospital',
    divisionCode: '110101',
  },
  {
    key: 'research',
    name: 'Demo Institute of Clinical Research',
    nameZh: '示范临床医学研究所',
    type: 'research-institute',
    divisionCode: '110108',
  },
  {
    key: 'regulator',
    name: 'Demo Municipal Health Commission',
    nameZh: '示范市卫生健康委员会',
    type: 'regulator',
    divisionCode: '110000',
  },
];

const USERS: {
  username: string;
  displayName: string;
  org: string;
  roles: Role[];
  department?: string;
  licence?: string;
}[] = [
  { username: 'demo-admin', displayName: '系统管理员 Admin', org: 'platform', roles: ['admin'] },
  {
    username: 'demo-clinician',
    displayName: '王医生 Dr. Wang',
    org: 'hospital-1',
    roles: ['clinician'],
    department: '心血管内科',
    licence: '110110000012345',
  },
  {
    username: 'demo-nurse',
    displayName: '李护士 Nurse Li',
    org: 'hospital-1',
    roles: ['nurse'],
    department: '心血管内科',
    licence: '110120000054321',
  },
  {
    username: 'demo-steward',
    displayName: '赵数据 Steward Zhao',
    org: 'hospital-1',
    roles: ['data-steward'],
  },
  {
    username: 'demo-researcher',
    displayName: '陈研究员 Researcher Chen',
    org: 'research',
    roles: ['researcher'],
  },
  {
    username: 'demo-privacy',
    displayName: '周隐私官 Privacy Officer Zhou',
    org: 'platform',
    roles: ['privacy-officer'],
  },
  {
    username: 'demo-ethics',
    displayName: '吴伦理 Ethics Reviewer Wu',
    org: 'research',
    roles: ['ethics-reviewer'],
  },
  { username: 'demo-regulator', displayName: '孙监管 Regulator Sun', org: 'regulator', roles: ['regulator'] },
  { username: 'demo-patient', displayName: '患者 Demo Patient', org: 'hospital-1', roles: ['patient'] },
];

export interface DemoLogin {
  username: string;
  password: string;
  roles: Role[];
  organization: string;
}

/**
 * Seeds the demo region once; later starts find it and leave it. Passwords come from
 * CUSTODIA_DEMO_PASSWORD, or are drawn afresh at every start (and printed), so the printed
 * logins always work.
 */
export async function seedDemo(system: System): Promise<DemoLogin[]> {
  const { directory, tenantId } = system;
  const orgIds = new Map<string, OrgId>();
  for (const o of ORGANIZATIONS) {
    const existing = await directory.findOrganizationByName(tenantId, o.name);
    const org = existing ?? (await directory.createOrganization(tenantId, o));
    orgIds.set(o.key, org.id);
  }
  const hospitals = ORGANIZATIONS.filter((o) => o.type === 'hospital').map((o) => ({
    id: o.key,
    name: o.name,
    nameZh: o.nameZh,
    divisionCode: o.divisionCode,
    orgId: orgIds.get(o.key)!,
  }));
  // The demo patient's login is made after the records it points at: if it exists, they do too,
  // and a restart need not generate the region again.
  const seeded = (await directory.findUser(tenantId, 'demo-patient'))?.patientRef;
  const generated = seeded ? undefined : await seedDemoPatients(system, hospitals);
  const demoPatientRef = seeded ?? generated?.demoPatientRef;
  const logins: DemoLogin[] = [];
  for (const u of USERS) {
    const password = system.config.demoPassword ?? randomBytes(12).toString('base64url');
    const orgId = orgIds.get(u.org)!;
    const existing = await directory.findUser(tenantId, u.username);
    if (existing) await directory.setPassword(tenantId, existing.id, password);
    else {
      // The clinician and nurse are staff the generated records name, so they treat real patients.
      const carer =
        u.username === 'demo-clinician'
          ? generated?.carers?.clinician
          : u.username === 'demo-nurse'
            ? generated?.carers?.nurse
            : undefined;
      const licence = carer?.licence ?? u.licence;
      await directory.createUser(tenantId, {
        username: u.username,
        displayName: u.displayName,
        orgId,
        roles: u.roles,
        department: carer?.department ?? u.department ?? null,
        qualifications: licence ? [{ type: 'practising-licence', value: licence }] : [],
        password,
        ...(u.roles.includes('patient') && demoPatientRef ? { patientRef: demoPatientRef } : {}),
      });
    }
    logins.push({
      username: u.username,
      password,
      roles: u.roles,
      organization: ORGANIZATIONS.find((o) => o.key === u.org)!.nameZh,
    });
  }
  return logins;
}
