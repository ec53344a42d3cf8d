/**
 * Consent receipts: what the patient keeps as proof of each change, a compact JWS (EdDSA) over
 * the version's facts and the hash of the rules in force. The fields follow the Kantara Consent
 * Receipt in spirit (who, when, under what, what changed), kept small: the rules themselves are
 * bound by their hash, so a receipt proves the exact rule set without repeating it.
 */
import { createHash } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { canonicalJson, CustodiaError } from '../core/index.js';
import type { SigningKey, VerificationKey } from '../crypto/index.js';
import type { ActingCapacity, ChangeAction, ConsentId, ConsentRule, RuleId } from './model.js';
import { scopeOf } from './scope.js';

/** The keyring name of the receipt signing key. */
export const RECEIPT_KEY = 'consent-receipt';
export const RECEIPT_TYPE = 'consent-receipt+jwt';

export interface ReceiptFacts {
  consentId: ConsentId;
  patient: string;
  version: number;
  action: ChangeAction;
  actedAs: ActingCapacity;
  changedBy: string;
  changedAt: number;
  added: readonly RuleId[];
  removed: readonly RuleId[];
  rulesHash: string;
  ruleCount: number;
  scheme: string;
}

export interface ReceiptClaims extends JWTPayload {
  consent: Omit<ReceiptFacts, 'patient' | 'changedAt'>;
  jurisdiction: 'CN';
}

/** SHA-256 (base64url) of the RFC 8785 JSON of the rules in force, in their order. */
export function rulesHash(rules: readonly ConsentRule[]): string {
  const canonical = canonicalJson(
    rules.map((r) => ({ id: r.id, seq: r.seq, effect: r.effect, ...dropUndefined(scopeOf(r)) })),
  );
  return createHash('sha256').update(canonical).digest('base64url');
}

const dropUndefined = (o: object) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>;

export async function signReceipt(key: SigningKey, issuer: string, facts: ReceiptFacts): Promise<string> {
  const { patient, changedAt, ...consent } = facts;
  return new SignJWT({ consent, jurisdiction: 'CN' } satisfies Omit<ReceiptClaims, keyof JWTPayload>)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: RECEIPT_TYPE })
    .setIssuer(issuer)
    .setSubject(`Patient/${patient}`)
    .setJti(`${facts.consentId}.${facts.version}`)
    .setIssuedAt(Math.floor(changedAt / 1000))
    .sign(key.privateKey);
}

/** Verifies a receipt against the published keys (any key of the name, so old receipts still verify). */
export async function verifyReceipt(
  jws: string,
  keys: readonly VerificationKey[],
  issuer: string,
): Promise<ReceiptClaims> {
  const invalid = (why: string, cause?: unknown) =>
    new CustodiaError('bad-request', `the consent receipt does not verify: ${why}`, {
      zh: '同意回执验证失败',
      hint: 'a receipt must be passed exactly as it was issued',
      cause,
    });
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(jws).kid;
  } catch (e) {
    throw invalid('not a compact JWS', e);
  }
  const key = keys.find((k) => k.kid === kid);
  if (!key) throw invalid('signed by a key this server does not know');
  try {
    const { payload } = await jwtVerify<ReceiptClaims>(jws, key.publicKey, {
      issuer,
      typ: RECEIPT_TYPE,
      algorithms: ['EdDSA'],
    });
    return payload;
  } catch (e) {
    throw invalid((e as Error).message, e);
  }
}
