import { type TenantId } from '../core/index.js';
import type { PatientCipher, TenantIndexer } from '../crypto/index.js';
import { applyLabels, labelResource, type GradingScheme } from '../classify/index.js';
import { patientIdsOf, type FhirRegistry, type FhirResource } from '../fhir/index.js';
import { searchRows, type SearchRow } from './index-rows.js';
import { patientLinks } from './patient-index.js';
import type { VersionFacts, VersionMethod } from './tables.js';

/** Who writes: the tenant and the organization that will own what is written. */
export interface WriteContext {
  tenant: TenantId;
  orgId: string;
}

/** A resource version ready to write: labelled, indexed and sealed, its plaintext kept for the reply. */
export interface PreparedVersion extends VersionFacts {
  sortDate: number | null;
  grade: string;
  sourceId: string | null;
  sealed: Buffer;
  rows: SearchRow[];
  /** Unified lookup codes of a Patient (统一调阅编码). */
  lookupCodes: string[];
  /** The stored resource (meta filled in): what a read returns. */
  resource: FhirResource;
}

export interface PrepareDeps {
  registry: FhirRegistry;
  scheme: GradingScheme;
  cipher: PatientCipher;
  indexer: TenantIndexer;
}

/**
 * The key a resource's body is sealed under: its Patient's (so erasing the patient shreds it),
 * or the owning organization's for resources about nobody (Organization, Practitioner).
 */
export function patientKeyOf(resource: FhirResource, orgId: string, registry: FhirRegistry): string {
  return patientIdsOf(resource, registry)[0] ?? `org:${orgId}`;
}

/**
 * Makes version `version` of a resource whose id is set: meta (versionId, lastUpdated, security
 * labels and grade from the tenant's scheme), search rows with blind indexes, and the sealed
 * body whose associated data binds tenant, type, id and version.
 */
export async function prepareVersion(
  deps: PrepareDeps,
  ctx: WriteContext,
  input: FhirResource,
  version: number,
  now: number,
  method: VersionMethod,
  sourceId?: string,
): Promise<PreparedVersion> {
  const id = input.id!;
  const labels = labelResource(input, deps.scheme);
  const labelled = applyLabels(input, labels);
  const resource: FhirResource = {
    ...labelled,
    meta: { ...labelled.meta, versionId: String(version), lastUpdated: new Date(now).toISOString() },
  };
  const { rows, sortDate } = searchRows(resource, deps.registry, deps.indexer);
  const patientKey = patientKeyOf(resource, ctx.orgId, deps.registry);
  const sealed = await deps.cipher.seal(Buffer.from(JSON.stringify(resource)), {
    tenant: ctx.tenant,
    patient: patientKey,
    resourceType: resource.resourceType,
    id,
    version,
  });
  return {
    resourceType: resource.resourceType,
    id,
    version,
    orgId: ctx.orgId,
    patientKey,
    lastUpdated: now,
    method,
    sortDate,
    grade: `${labels.grade.scheme}:${labels.grade.grade}`,
    sourceId: sourceId === undefined ? null : deps.indexer.sourceIdToken(resource.resourceType, sourceId),
    sealed,
    rows,
    lookupCodes: resource.resourceType === 'Patient' ? patientLinks(resource, deps.indexer) : [],
    resource,
  };
}
