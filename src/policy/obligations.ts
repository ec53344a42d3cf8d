/**
 * Obligations as data: how an obligation policy's annotations become a template, how the
 * templates of the policies that applied merge into one list, and how the request fills in what
 * only the request knows (the purpose, the break-glass grant, the emergency declaration).
 */
import {
  AUDIT_FLAGS,
  AUDIT_LEVELS,
  MASK_FIELDS,
  type AuditFlag,
  type AuditLevel,
  type MaskField,
  type Obligation,
  type RequestContextInput,
} from './model.js';

/** An obligation as a policy states it, before the request fills it in. */
export type ObligationTemplate =
  | { kind: 'mask'; fields: readonly MaskField[] }
  | { kind: 'redact'; labels: readonly string[] }
  | { kind: 'deidentify'; profile: string }
  | { kind: 'require-purpose' }
  | { kind: 'audit'; level: AuditLevel; flags: readonly AuditFlag[] };

const words = (value: string | undefined) => (value ?? '').split(/[\s,]+/).filter((w) => w !== '');

/** The template an `@obligation(...)` policy states, or what is wrong with its annotations. */
export function templateOf(annotations: Readonly<Record<string, string>>): ObligationTemplate | string {
  const kind = annotations.obligation;
  switch (kind) {
    case 'mask': {
      const fields = words(annotations.fields);
      const unknown = fields.filter((f) => !(MASK_FIELDS as readonly string[]).includes(f));
      if (fields.length === 0 || unknown.length > 0)
        return `@fields must list some of ${MASK_FIELDS.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`;
      return { kind, fields: fields as MaskField[] };
    }
    case 'redact': {
      const labels = words(annotations.labels);
      if (labels.length === 0) return '@labels must list the security labels whose resources are left out';
      return { kind, labels };
    }
    case 'deidentify': {
      const profile = annotations.profile?.trim();
      if (!profile) return '@profile must name a de-identification profile';
      return { kind, profile };
    }
    case 'require-purpose':
      return { kind };
    case 'audit': {
      const level = annotations.level ?? 'standard';
      if (!(AUDIT_LEVELS as readonly string[]).includes(level))
        return `@level must be one of ${AUDIT_LEVELS.join(', ')}`;
      const flags = words(annotations.flag);
      const unknown = flags.filter((f) => !(AUDIT_FLAGS as readonly string[]).includes(f));
      if (unknown.length > 0)
        return `@flag must be one of ${AUDIT_FLAGS.join(', ')} (unknown: ${unknown.join(', ')})`;
      return { kind, level: level as AuditLevel, flags: flags as AuditFlag[] };
    }
    default:
      return `@obligation must be one of mask, redact, deidentify, require-purpose, audit (got "${kind ?? ''}")`;
  }
}

/**
 * One obligation per kind: masks and redactions add up, the strictest audit level wins, the
 * first de-identification profile (in pack order) applies. Every permit carries an audit level.
 */
export function mergeTemplates(templates: readonly ObligationTemplate[]): ObligationTemplate[] {
  const mask = new Set<MaskField>();
  const redact = new Set<string>();
  let deidentify: string | undefined;
  let requirePurpose = false;
  let level: AuditLevel = 'standard';
  const flags = new Set<AuditFlag>();
  for (const t of templates) {
    if (t.kind === 'mask') for (const f of t.fields) mask.add(f);
    else if (t.kind === 'redact') for (const l of t.labels) redact.add(l);
    else if (t.kind === 'deidentify') deidentify ??= t.profile;
    else if (t.kind === 'require-purpose') requirePurpose = true;
    else {
      if (AUDIT_LEVELS.indexOf(t.level) > AUDIT_LEVELS.indexOf(level)) level = t.level;
      for (const f of t.flags) flags.add(f);
    }
  }
  const out: ObligationTemplate[] = [];
  // Loops rather than filter/some callbacks: see the note on builtin callbacks in pdp.ts.
  if (mask.size > 0) {
    const fields: MaskField[] = [];
    for (const f of MASK_FIELDS) if (mask.has(f)) fields.push(f);
    out.push({ kind: 'mask', fields });
  }
  if (redact.size > 0) out.push({ kind: 'redact', labels: [...redact].sort() });
  if (deidentify !== undefined) out.push({ kind: 'deidentify', profile: deidentify });
  if (requirePurpose) out.push({ kind: 'require-purpose' });
  const ordered: AuditFlag[] = [];
  for (const f of AUDIT_FLAGS) if (flags.has(f)) ordered.push(f);
  out.push({ kind: 'audit', level, flags: ordered });
  return out;
}

/** True when the templates need something from the request that the cache key does not hold. */
export function needsRequest(templates: readonly ObligationTemplate[]): boolean {
  for (const t of templates)
    if (t.kind === 'require-purpose' || (t.kind === 'audit' && t.flags.length > 0)) return true;
  return false;
}

/** The obligations of one request: templates filled in with the request's purpose and grants. */
export function fillTemplates(
  templates: readonly ObligationTemplate[],
  context: RequestContextInput,
): Obligation[] {
  const out: Obligation[] = [];
  for (const t of templates) {
    if (t.kind === 'require-purpose') {
      // A permit without a purpose can only come from a custom pack; nothing to bind to then.
      if (context.purpose !== undefined) out.push({ kind: 'require-purpose', purpose: context.purpose });
    } else if (t.kind === 'audit' && t.flags.length > 0) {
      const bg = context.breakGlass;
      out.push({
        kind: 'audit',
        level: t.level,
        flags: t.flags,
        ...(t.flags.includes('break-glass') && bg?.state === 'active' ? { breakGlassGrant: bg.grantId } : {}),
        ...(t.flags.includes('emergency') && context.emergency
          ? { emergencyDeclaration: context.emergency.declarationId }
          : {}),
      });
    } else out.push(t as Obligation);
  }
  return out;
}
