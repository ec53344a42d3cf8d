/**
 * The policy decision point (PDP): one Cedar evaluation per distinct request shape, then a cached
 * answer. One uncached decision costs two Cedar calls (access, then obligations) of ~220 µs each
 * on the target machine; the budget is 20 µs, so the cache carries the hot path. Its key holds
 * exactly what the active policies read (see reads.ts) plus the action, the entity types and the
 * patient's consent version; a new policy version or grading scheme empties it.
 */
import { LruCache } from '../core/index.js';
import type { GradingScheme } from '../classify/index.js';
import { authorize, preparse } from './cedar.js';
import { cedarEntities, cedarInput, SchemeFacts, type CedarInput } from './entities.js';
import { forbidMessage, NO_PERMITTING_POLICY, POLICY_ERROR } from './messages.js';
import type { PolicyDecision, PolicyRequest, RequestContextInput } from './model.js';
import { fillTemplates, mergeTemplates, needsRequest, type ObligationTemplate } from './obligations.js';
import type { CompiledPack } from './pack.js';
import type { Attribute, Comparison, ReadSet } from './reads.js';

export interface PdpOptions {
  /** The tenant's grading scheme: its handling rules per grade and purpose enter the context. */
  scheme: GradingScheme;
  /** The tenant's time zone for `context.hour`, minutes east of UTC. Default +480 (China Standard Time). */
  utcOffsetMinutes?: number;
  /** Distinct request shapes kept. Default 100,000; 0 turns the cache off (tests compare with it). */
  cacheSize?: number;
}

interface CachedDecision {
  decision: PolicyDecision;
  /** Permit obligations before the request fills them in, when it must. */
  templates?: readonly ObligationTemplate[];
}

/** Names in the WASM module's preparsed store are global to the process: each PDP and version gets its own. */
let instances = 0;

export class PolicyDecisionPoint {
  private pack: CompiledPack;
  private currentVersion: number;
  private facts: SchemeFacts;
  private readonly utcOffsetMinutes: number;
  private readonly cache: LruCache<string, CachedDecision>;
  private readonly instance = ++instances;
  private names = { access: '', obligations: '' };
  private keyPlan!: KeyPlan;
  private obligationKeyPlan!: KeyPlan;
  /**
   * Obligations per shape of what the obligation policies read (fewer facts than access): many
   * decision shapes share one, so a decision-cache miss usually costs one Cedar call, not two.
   */
  private readonly obligationCache = new LruCache<string, ObligationTemplate[]>(10_000);
  private counters = { hits: 0, misses: 0 };

  constructor(pack: CompiledPack, version: number, options: PdpOptions) {
    this.pack = pack;
    this.currentVersion = version;
    this.facts = new SchemeFacts(options.scheme);
    this.utcOffsetMinutes = options.utcOffsetMinutes ?? 480;
    this.cache = new LruCache(options.cacheSize ?? 100_000);
    this.load(pack, version);
  }

  /** The policy version in force. */
  get version(): number {
    return this.currentVersion;
  }

  get digest(): string {
    return this.pack.digest;
  }

  /** Puts a validated pack in force: the next decision is made under it (the cache is emptied). */
  use(pack: CompiledPack, version: number): void {
    this.load(pack, version);
    this.pack = pack;
    this.currentVersion = version;
    this.cache.clear();
  }

  /** The tenant switched grading schemes: handling rules and access ranges change, so do decisions. */
  useScheme(scheme: GradingScheme): void {
    this.facts = new SchemeFacts(scheme);
    this.cache.clear();
    this.obligationCache.clear();
  }

  /**
   * Whether the policies in force look at a resource's security labels. They sit in the sealed
   * body, so guard decrypts before deciding only when this is true.
   */
  get readsLabels(): boolean {
    const reads = [this.pack.reads.resource, this.pack.obligationReads.resource];
    return reads.some((r) => r.whole || r.attrs.has('labels') || r.members.has('labels'));
  }

  stats(): { hits: number; misses: number; size: number } {
    return { ...this.counters, size: this.cache.size };
  }

  /** The decision for one request, from the cache when the same shape was decided under this version. */
  decide(request: PolicyRequest): PolicyDecision {
    const input = cedarInput(request, this.facts, this.utcOffsetMinutes);
    const key = this.keyPlan.keyOf(input, request.context.consent?.version ?? -1);
    let cached = this.cache.get(key);
    if (cached === undefined) {
      this.counters.misses++;
      cached = this.evaluate(input, this.cache.capacity > 0);
      this.cache.set(key, cached);
    } else this.counters.hits++;
    return withObligations(cached, request.context);
  }

  /** The decision straight from Cedar, never cached (what the cache must agree with). */
  decideUncached(request: PolicyRequest): PolicyDecision {
    const cached = this.evaluate(cedarInput(request, this.facts, this.utcOffsetMinutes), false);
    return withObligations(cached, request.context);
  }

  private load(pack: CompiledPack, version: number): void {
    const base = `custodia-pdp-${this.instance}-v${version}-${pack.digest.slice(7, 19)}`;
    const names = { access: `${base}-access`, obligations: `${base}-obligations` };
    preparse(names.access, pack.schema, Object.fromEntries([...pack.access].map(([id, p]) => [id, p.text])));
    preparse(
      names.obligations,
      pack.schema,
      Object.fromEntries([...pack.obligations].map(([id, p]) => [id, p.text])),
    );
    this.names = names;
    this.keyPlan = new KeyPlan(pack.reads);
    this.obligationKeyPlan = new KeyPlan(pack.obligationReads);
    this.obligationCache.clear();
  }

  private evaluate(input: CedarInput, useCache: boolean): CachedDecision {
    const version = this.currentVersion;
    const entities = cedarEntities(input);
    const answer = authorize(
      this.names.access,
      input.principal,
      input.action,
      input.resource,
      input.context,
      entities,
    );
    if (answer.errors.length > 0)
      return {
        decision: { permit: false, ...POLICY_ERROR, policies: answer.errors, version },
      };
    if (!answer.allow) {
      const forbids = inPackOrder(answer.determining, this.pack.access);
      const first = forbids[0];
      if (first === undefined)
        return { decision: { permit: false, ...NO_PERMITTING_POLICY, policies: [], version } };
      const code = first.annotations.reason ?? first.id;
      const fallback = forbidMessage(code);
      return {
        decision: {
          permit: false,
          code,
          en: first.annotations.en ?? fallback.en,
          zh: first.annotations.zh ?? fallback.zh,
          policies: idsOf(forbids),
          version,
        },
      };
    }
    let templates: ObligationTemplate[] | undefined;
    const obligationKey = useCache ? this.obligationKeyPlan.keyOf(input, 0) : undefined;
    if (obligationKey !== undefined) templates = this.obligationCache.get(obligationKey);
    if (templates === undefined) {
      const applied: ObligationTemplate[] = [];
      if (this.pack.obligations.size > 0) {
        const o = authorize(
          this.names.obligations,
          input.principal,
          input.action,
          input.resource,
          input.context,
          entities,
        );
        // An obligation policy that fails to evaluate would silently drop a mask: deny instead.
        if (o.errors.length > 0)
          return { decision: { permit: false, ...POLICY_ERROR, policies: o.errors, version } };
        for (const p of inPackOrder(o.determining, this.pack.obligations)) applied.push(p.obligation);
      }
      templates = mergeTemplates(applied);
      if (obligationKey !== undefined) this.obligationCache.set(obligationKey, templates);
    }
    const decision = {
      permit: true as const,
      // Templates that need nothing from the request are already obligations.
      obligations: needsRequest(templates) ? [] : fillTemplates(templates, NOTHING_FROM_REQUEST),
      policies: answer.determining.slice().sort(),
      version,
    };
    return needsRequest(templates) ? { decision, templates } : { decision };
  }
}

/*
 * Plain loops on the miss path, no array callbacks: the abort described in cedar.ts was a lazy
 * deoptimization through a builtin continuation, and nothing here needs one. Cached decisions are
 * shared between callers and typed readonly.
 */

/** The policies named, known to the pack, in pack order (insertion sort: a handful at most). */
function inPackOrder<P extends { order: number }>(
  ids: readonly string[],
  policies: ReadonlyMap<string, P>,
): P[] {
  const out: P[] = [];
  for (const id of ids) {
    const p = policies.get(id);
    if (p === undefined) continue;
    let at = out.length;
    while (at > 0 && out[at - 1]!.order > p.order) at--;
    out.splice(at, 0, p);
  }
  return out;
}

function idsOf(policies: readonly { id: string }[]): string[] {
  const out: string[] = [];
  for (const p of policies) out.push(p.id);
  return out;
}

/** Filling templates that need no request facts reads none of these. */
const NOTHING_FROM_REQUEST: RequestContextInput = {
  time: 0,
  networkZone: 'internal',
  careRelationship: false,
  ownRecord: false,
};

/**
 * The cache key of a request: the action, the entity types, the consent version, and what the
 * active policies read of it (reads.ts): whole values, literal memberships of sets, outcomes of
 * literal comparisons, equalities of attribute pairs, in a fixed order. Each part is encoded so
 * that it ends unambiguously (JSON for strings and sets, fixed-width flags and bits), so no
 * attribute value can forge another request's key. Built by concatenation: this runs on every
 * decision, and an array handed to JSON.stringify cost twice as much.
 */
class KeyPlan {
  private readonly parts: ((input: CedarInput) => string)[] = [];

  constructor(readSet: ReadSet) {
    const sources = {
      principal: (i: CedarInput) => i.principalAttrs as Record<string, unknown>,
      resource: (i: CedarInput) => i.resourceAttrs as Record<string, unknown>,
      context: (i: CedarInput) => i.context as Record<string, unknown>,
    };
    for (const v of ['principal', 'resource', 'context'] as const) {
      const reads = readSet[v];
      const source = sources[v];
      if (reads.whole) {
        this.parts.push(
          v === 'context'
            ? (i) => JSON.stringify(source(i))
            : v === 'principal'
              ? (i) => JSON.stringify([i.principal.id, source(i)])
              : (i) => JSON.stringify([i.resource.id, source(i)]),
        );
        continue;
      }
      for (const attr of [...reads.attrs].sort()) this.parts.push((i) => encode(source(i)[attr]));
      for (const [attr, members] of [...reads.members].sort(([a], [b]) => a.localeCompare(b))) {
        if (reads.attrs.has(attr)) continue;
        const tested = [...members].sort();
        this.parts.push((i) => {
          const value = source(i)[attr];
          const set = Array.isArray(value) ? (value as unknown[]) : [];
          let bits = '';
          for (const m of tested) bits += set.includes(m) ? '1' : '0';
          return bits;
        });
      }
      for (const [attr, comparisons] of [...reads.comparisons].sort(([a], [b]) => a.localeCompare(b))) {
        if (reads.attrs.has(attr)) continue;
        this.parts.push((i) => {
          const value = source(i)[attr];
          if (typeof value !== 'number') return 'n';
          let bits = '';
          for (const c of comparisons) bits += compare(value, c) ? '1' : '0';
          return bits;
        });
      }
    }
    const value = (i: CedarInput, [v, attr]: Attribute): unknown =>
      (v === 'principal' ? i.principalAttrs : v === 'resource' ? i.resourceAttrs : i.context)[attr];
    for (const [a, b] of readSet.equalities)
      this.parts.push((i) => {
        const x = value(i, a);
        const y = value(i, b);
        return x === y || (typeof x === 'object' && JSON.stringify(x) === JSON.stringify(y)) ? 't' : 'f';
      });
  }

  keyOf(input: CedarInput, consentVersion: number): string {
    let key = `${input.action.id}|${input.resource.type}|${consentVersion}`;
    for (const part of this.parts) key += ',' + part(input);
    return key;
  }
}

/** Records the scheme facts hand out are the same object for the same grade and purpose. */
const objectKeys = new WeakMap<object, string>();
const internedIds = new Map<string, string>();

function encode(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
      return `${value};`;
    case 'object': {
      if (value === null) return 'null';
      let key = objectKeys.get(value);
      if (key === undefined) {
        const json = JSON.stringify(value);
        // Arrays are built per request; only shared (frozen) records are worth remembering, by a
        // short id per distinct content (equal content, equal id: the key stays exact).
        if (Array.isArray(value) || !Object.isFrozen(value)) return json;
        key = internedIds.get(json);
        if (key === undefined) internedIds.set(json, (key = `#${internedIds.size};`));
        objectKeys.set(value, key);
      }
      return key;
    }
    default:
      return 'u';
  }
}

const compare = (value: number, c: Comparison): boolean =>
  c.op === '<'
    ? value < c.value
    : c.op === '<='
      ? value <= c.value
      : c.op === '>'
        ? value > c.value
        : value >= c.value;

/**
 * A cached decision, with its obligations filled in from this request when they need it. Copied
 * with Object.assign: spreading the cached decision and adding a property cost microseconds on
 * Node 20, on a path every read takes.
 */
function withObligations(cached: CachedDecision, context: RequestContextInput): PolicyDecision {
  if (cached.templates === undefined) return cached.decision;
  return Object.assign({}, cached.decision, { obligations: fillTemplates(cached.templates, context) });
}
