/**
 * The one file that talks to Cedar (`@cedar-policy/cedar-wasm`): parsing, validation against the
 * schema, preparsing into the WASM module's policy store, and authorization. Everything else in
 * the module works with plain data, so a newer Cedar changes this file only.
 */
import { setFlagsFromString } from 'node:v8';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';

/*
 * Node 20's V8 (11.3) aborts the process ("unreachable code" in
 * Deoptimizer::DoComputeBuiltinContinuation) when optimized code that inlined a JS-to-Wasm call is
 * lazily deoptimized during the call, which the decision benchmark hit reliably after ~10^5
 * Cedar calls. Not inlining those calls avoids it; set before any Cedar call is optimized. Newer
 * V8s (Node 24's 13.x) may not know the flag, so it is set only where it is known to be needed.
 */
if (Number(process.versions.v8.split('.')[0]) <= 12) setFlagsFromString('--no-turbo-inline-js-wasm-calls');

export type CedarEntity = cedar.EntityJson;
export type CedarContext = cedar.Context;
export type CedarUid = { type: string; id: string };
export type CedarPolicyJson = cedar.PolicyJson;

/** A problem Cedar found, with where it is when Cedar says. */
export interface CedarProblem {
  /** The file the policy came from, when known. */
  file?: string | undefined;
  /** The policy id, when the problem is in one policy. */
  policy?: string | undefined;
  message: string;
  help?: string | undefined;
}

export const CEDAR_VERSION = cedar.getCedarVersion();

const problemOf = (e: cedar.DetailedError, extra: Partial<CedarProblem> = {}): CedarProblem => ({
  ...extra,
  message: e.message,
  ...(e.help ? { help: e.help } : {}),
});

export function checkSchema(schema: string): CedarProblem[] {
  const answer = cedar.checkParseSchema(schema);
  return answer.type === 'success' ? [] : answer.errors.map((e) => problemOf(e));
}

/** Splits a file of policies into one text per policy, or gives the parse errors. */
export function splitPolicies(
  text: string,
  file: string,
): { policies: string[] } | { problems: CedarProblem[] } {
  const answer = cedar.policySetTextToParts(text);
  if (answer.type === 'failure') return { problems: answer.errors.map((e) => problemOf(e, { file })) };
  if (answer.policy_templates.length > 0)
    return {
      problems: [
        { file, message: 'policy templates are not supported in a policy pack; write static policies' },
      ],
    };
  return { policies: answer.policies };
}

export function policyJson(text: string): CedarPolicyJson | CedarProblem[] {
  const answer = cedar.policyToJson(text);
  return answer.type === 'success' ? answer.json : answer.errors.map((e) => problemOf(e));
}

/** Strict validation of policies (keyed by id) against a schema: the problems, none when valid. */
export function validatePolicies(schema: string, policies: Record<string, string>): CedarProblem[] {
  const answer = cedar.validate({
    schema,
    policies: { staticPolicies: policies },
    validationSettings: { mode: 'strict' },
  });
  if (answer.type === 'failure') return answer.errors.map((e) => problemOf(e));
  return answer.validationErrors.map((v) => problemOf(v.error, { policy: v.policyId }));
}

/**
 * Loads a schema and a policy set into the WASM module under names of their own, so that each
 * authorization passes only the request (parsing the policies per call is what costs most).
 */
export function preparse(name: string, schema: string, policies: Record<string, string>): void {
  const s = cedar.preparseSchema(name, schema);
  if (s.type === 'failure')
    throw new Error(`cedar schema ${name}: ${s.errors.map((e) => e.message).join('; ')}`);
  const p = cedar.preparsePolicySet(name, { staticPolicies: policies });
  if (p.type === 'failure')
    throw new Error(`cedar policies ${name}: ${p.errors.map((e) => e.message).join('; ')}`);
}

export interface CedarAnswer {
  allow: boolean;
  /** The policies that determined the answer: the permits that applied, or the forbids. */
  determining: string[];
  /** Policies that failed to evaluate (Cedar skips them); a sign of a policy bug. */
  errors: string[];
}

export function authorize(
  name: string,
  principal: CedarUid,
  action: CedarUid,
  resource: CedarUid,
  context: CedarContext,
  entities: CedarEntity[],
): CedarAnswer {
  const answer = cedar.statefulIsAuthorized({
    principal,
    action,
    resource,
    context,
    entities,
    preparsedSchemaName: name,
    preparsedPolicySetId: name,
    // The request is built by this module from typed facts; the schema still types the entities.
    validateRequest: false,
  });
  if (answer.type === 'failure')
    throw new Error(`cedar authorization failed: ${answer.errors.map((e) => e.message).join('; ')}`);
  const { decision, diagnostics } = answer.response;
  // A loop, not errors.map(...): see the note on builtin callbacks in pdp.ts.
  const errors: string[] = [];
  for (const e of diagnostics.errors) errors.push(`${e.policyId}: ${e.error.message}`);
  return { allow: decision === 'allow', determining: diagnostics.reason, errors };
}
