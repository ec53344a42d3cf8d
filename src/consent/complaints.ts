/**
 * Complaints (seed 002 §7.3.3): a patient complains about how their data was used, about a
 * particular access from their history or in general, and follows it; the organization the
 * complaint concerns handles it. The text is the patient's own words and may name anything, so
 * it is sealed with the patient's data key: erasing the patient shreds it with their records.
 */
import type { Kysely } from 'kysely';
import { badRequest, conflict, isCustodiaError, notFound, uuidv7, type TenantId } from '../core/index.js';
import type { PatientCipher } from '../crypto/index.js';
import { fromJson, toJson } from './rows.js';
import type { ConsentTables } from './tables.js';

export const COMPLAINT_TOPICS = ['access', 'consent', 'sharing', 'correction', 'other'] as const;
export type ComplaintTopic = (typeof COMPLAINT_TOPICS)[number];

export const COMPLAINT_STATUSES = ['received', 'in-review', 'resolved', 'rejected'] as const;
export type ComplaintStatus = (typeof COMPLAINT_STATUSES)[number];

/** Where a complaint may go from each status; resolved and rejected are final. */
const NEXT: Record<ComplaintStatus, readonly ComplaintStatus[]> = {
  received: ['in-review', 'resolved', 'rejected'],
  'in-review': ['resolved', 'rejected'],
  resolved: [],
  rejected: [],
};

export interface Complaint {
  id: string;
  patient: string;
  /** The organization it concerns, whose privacy officer handles it. */
  organization: string;
  filedBy: string;
  topic: ComplaintTopic;
  /** The ledger entry (an access in the patient's history) it is about, if one. */
  ledgerIndex: number | null;
  /** Null once the patient was erased (the text was sealed with their destroyed key). */
  text: string | null;
  status: ComplaintStatus;
  history: { status: ComplaintStatus; at: number; by: string }[];
  createdAt: number;
  updatedAt: number;
}

export interface NewComplaint {
  topic: ComplaintTopic;
  text: string;
  organization: string;
  ledgerIndex?: number | undefined;
}

const MAX_TEXT = 4000;

export class Complaints {
  constructor(
    private readonly db: Kysely<ConsentTables>,
    private readonly tenant: TenantId,
    private readonly cipher: PatientCipher,
  ) {}

  async file(patient: string, input: NewComplaint, by: string, at: number): Promise<Complaint> {
    if (!(COMPLAINT_TOPICS as readonly string[]).includes(input.topic))
      throw badRequest(`topic must be one of ${COMPLAINT_TOPICS.join(', ')}`, {
        path: 'topic',
        zh: `topic 须为 ${COMPLAINT_TOPICS.join('、')} 之一`,
      });
    const text = input.text.trim();
    if (text.length === 0 || text.length > MAX_TEXT)
      throw badRequest(`text must be 1 to ${MAX_TEXT} characters`, {
        path: 'text',
        zh: `text 须为 1 至 ${MAX_TEXT} 个字符`,
      });
    const id = uuidv7(at);
    const body = await this.cipher.seal(Buffer.from(text, 'utf8'), this.context(patient, id));
    const history = [{ status: 'received' as const, at, by }];
    await this.db
      .insertInto('consent_complaint')
      .values({
        tenant_id: this.tenant,
        id,
        patient_key: patient,
        org_id: input.organization,
        filed_by: by,
        topic: input.topic,
        ledger_index: input.ledgerIndex ?? null,
        body,
        status: 'received',
        history: toJson(history),
        created_at: at,
        updated_at: at,
      })
      .execute();
    return {
      id,
      patient,
      organization: input.organization,
      filedBy: by,
      topic: input.topic,
      ledgerIndex: input.ledgerIndex ?? null,
      text,
      status: 'received',
      history,
      createdAt: at,
      updatedAt: at,
    };
  }

  async forPatient(patient: string): Promise<Complaint[]> {
    const rows = await this.selectAll()
      .where('patient_key', '=', patient)
      .orderBy('created_at', 'desc')
      .execute();
    return Promise.all(rows.map((r) => this.open(r)));
  }

  async forOrganization(orgId: string, status?: ComplaintStatus): Promise<Complaint[]> {
    let q = this.selectAll().where('org_id', '=', orgId);
    if (status !== undefined) q = q.where('status', '=', status);
    const rows = await q.orderBy('created_at', 'desc').limit(500).execute();
    return Promise.all(rows.map((r) => this.open(r)));
  }

  async get(id: string): Promise<Complaint> {
    const row = await this.selectAll().where('id', '=', id).executeTakeFirst();
    if (!row)
      throw notFound(`complaint ${id} is not known`, { zh: `未找到投诉 ${id}`, hint: 'check the id' });
    return this.open(row);
  }

  /** Moves a complaint on (received → in-review → resolved or rejected). */
  async setStatus(id: string, status: ComplaintStatus, by: string, at: number): Promise<Complaint> {
    const complaint = await this.get(id);
    if (!NEXT[complaint.status].includes(status))
      throw conflict(`a ${complaint.status} complaint cannot become ${status}`, {
        zh: `投诉状态不能从 ${complaint.status} 变为 ${status}`,
        hint: `allowed next: ${NEXT[complaint.status].join(', ') || 'none (final)'}`,
      });
    const history = [...complaint.history, { status, at, by }];
    const updated = await this.db
      .updateTable('consent_complaint')
      .set({ status, history: toJson(history), updated_at: at })
      .where('tenant_id', '=', this.tenant)
      .where('id', '=', id)
      .where('status', '=', complaint.status)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1)
      throw conflict('the complaint was changed at the same moment by another request', {
        zh: '投诉已被另一请求同时修改',
        hint: 'read it again',
      });
    return { ...complaint, status, history, updatedAt: at };
  }

  private selectAll() {
    return this.db.selectFrom('consent_complaint').selectAll().where('tenant_id', '=', this.tenant);
  }

  private context(patient: string, id: string) {
    return { tenant: this.tenant, patient, resourceType: 'Complaint', id, version: 1 };
  }

  private async open(row: Omit<ConsentTables['consent_complaint'], 'tenant_id'>): Promise<Complaint> {
    const text = await this.cipher
      .open(row.body, this.context(row.patient_key, row.id))
      .then((b) => b.toString('utf8'))
      // An erased patient's complaint keeps its status and history; its text is gone with their key.
      .catch((e: unknown) => {
        if (isCustodiaError(e) && e.code === 'gone') return null;
        throw e;
      });
    return {
      id: row.id,
      patient: row.patient_key,
      organization: row.org_id,
      filedBy: row.filed_by,
      topic: row.topic as ComplaintTopic,
      ledgerIndex: row.ledger_index,
      text,
      status: row.status as ComplaintStatus,
      history: fromJson<Complaint['history']>(row.history),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
