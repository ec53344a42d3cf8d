import { applyObligations, obligationsChange, type AuditFlag, type Obligation } from '../policy/index.js';
import type { JsonObject } from '../deid/index.js';
import type { Denial } from './decision.js';
import type { SealedBody } from './sealed-body.js';

/** What a permit's audit obligations add to the ledger entry of the access. */
export interface AuditMarks {
  flags: AuditFlag[];
  /** The break-glass grant or emergency declaration the access was made under. */
  basis: string[];
}

/**
 * Obligations guard cannot carry out on a record-level answer. A de-identification profile needs
 * a project key and the whole extract (deid's runs, through an export); releasing identified
 * records instead would break the permit's condition, so such a request is denied, saying where
 * the data can be had.
 */
export function unmetObligation(obligations: readonly Obligation[]): Denial | undefined {
  const profile = obligations.find((o) => o.kind === 'deidentify');
  if (profile === undefined) return undefined;
  return {
    permit: false,
    code: 'deidentification-required',
    reason: `this use is permitted on de-identified data only (profile ${profile.profile}): request a de-identified extract instead of identified records`,
    zh: `此项使用仅允许使用去标识化数据（方案 ${profile.profile}）：请申请去标识化数据集，而不是查看可识别的记录`,
  };
}

/**
 * The body as the permit allows it out: masked where it says so, `undefined` when a redaction
 * leaves the resource out entirely.
 */
export async function released(
  body: SealedBody,
  obligations: readonly Obligation[],
): Promise<Buffer | undefined> {
  // Without masks or redactions that reach this resource, the stored bytes go out as they are.
  const bytes = await body.bytes();
  if (!obligationsChange(obligations, body.stored.resourceType, bytes)) return bytes;
  const json = await body.json();
  const out = applyObligations(json, obligations);
  if (out === undefined) return undefined;
  // Neither redacted nor changed (labels checked, nothing masked): the stored bytes, not a reserialization.
  return out === json ? bytes : Buffer.from(JSON.stringify(out), 'utf8');
}

/** The same for a body already parsed (history versions, `$everything`). */
export async function releasedJson(
  body: SealedBody,
  obligations: readonly Obligation[],
): Promise<JsonObject | undefined> {
  const json = await body.json();
  return obligationsChange(obligations, body.stored.resourceType, await body.bytes())
    ? applyObligations(json, obligations)
    : json;
}

export function auditMarks(obligations: readonly Obligation[]): AuditMarks {
  const flags = new Set<AuditFlag>();
  const basis = new Set<string>();
  for (const o of obligations) {
    if (o.kind !== 'audit') continue;
    for (const f of o.flags) flags.add(f);
    if (o.breakGlassGrant) basis.add(`break-glass:${o.breakGlassGrant}`);
    if (o.emergencyDeclaration) basis.add(`emergency:${o.emergencyDeclaration}`);
  }
  return { flags: [...flags], basis: [...basis] };
}

export const NO_MARKS: AuditMarks = { flags: [], basis: [] };

/** The marks of several accesses recorded in one entry (a search page). */
export function mergeMarks(marks: readonly AuditMarks[]): AuditMarks {
  return {
    flags: [...new Set(marks.flatMap((m) => m.flags))],
    basis: [...new Set(marks.flatMap((m) => m.basis))],
  };
}
