import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  timingSafeEqual,
} from 'node:crypto';
import { forbidden } from '../../core/index.js';
import { deidError } from '../errors.js';
import { KeyedHmac } from './hmac.js';

/**
 * Pseudonymization (假名化). `hmacPseudonym` is one-way: the same input under the same project
 * key always gives the same pseudonym, so records still link, but nobody can reverse it without
 * guessing inputs and holding the key. Tokenizers are reversible, and reversal is gated.
 */

/** A per-project key: at least 32 bytes of secret material. */
export function checkKey(key: Uint8Array, what: string): Uint8Array {
  if (key.byteLength < 32) {
    throw deidError(
      `${what} key must be at least 32 bytes (got ${key.byteLength})`,
      `${what} 密钥长度至少 32 字节（当前 ${key.byteLength}）`,
      { hint: 'generate one with `openssl rand -base64 32`' },
    );
  }
  return key;
}

/** Derives an independent sub-key so that one project key can serve every operator safely. */
export function subKey(key: Uint8Array, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `custodia/deid/${purpose}`, 32));
}

/** HMAC-SHA-256 of the value as hex, truncated to `length` characters (default 32). */
export function hmacPseudonym(key: Uint8Array | KeyedHmac, value: string, length = 32, prefix = ''): string {
  return prefix + (key instanceof KeyedHmac ? key : new KeyedHmac(key)).hex(value, length);
}

/** Who asks to reverse tokens, and why. */
export interface Actor {
  id: string;
  roles: readonly string[];
  /** The declared purpose (e.g. `patient-safety-recall`); gates may require one. */
  purpose?: string;
}

/**
 * One re-identification attempt, as the gate records it. It names the tokens by their SHA-256
 * digests, never the tokens (SIV tokens carry ciphertext of the value) nor the values, so the
 * record can go to the tamper-evident ledger, which holds no PHI. Anyone holding a token can
 * recompute its digest and find the entry.
 */
export interface ReidentifyEvent {
  actor: Actor;
  /** Which tokenizer (project) the tokens belong to. */
  tokenizer: string;
  tokenDigests: string[];
  outcome: 'granted' | 'denied' | 'unknown-token';
  at: number;
}

/**
 * The narrow interface through which the engine asks "may this actor re-identify?" and says
 * "this happened". The composition root wires `authorize` to the policy decision and `record` to
 * the ledger; the engine knows neither. Both may be asynchronous: a granted value is released
 * only after `record` has resolved, so a failed or slow audit write never leaks an unrecorded
 * re-identification.
 */
export interface ReidentifyGate {
  authorize(actor: Actor, tokenizer: string): boolean | Promise<boolean>;
  record(event: ReidentifyEvent): void | Promise<void>;
  now?: () => number;
}

/**
 * A gate that allows actors holding one of `roles` and, unless `requirePurpose` is false,
 * declaring a purpose. `record` is where the events go (the ledger, in the server).
 */
export function roleGate(options: {
  roles: readonly string[];
  record: ReidentifyGate['record'];
  requirePurpose?: boolean;
  now?: () => number;
}): ReidentifyGate {
  const allowed = new Set(options.roles);
  const needPurpose = options.requirePurpose ?? true;
  return {
    authorize: (actor) =>
      actor.roles.some((r) => allowed.has(r)) && (!needPurpose || (actor.purpose ?? '').trim() !== ''),
    record: options.record,
    ...(options.now ? { now: options.now } : {}),
  };
}

/** A gate that allows nobody: tokens made by a file run are reversed only where a real gate is wired. */
export const DENY_ALL_GATE: ReidentifyGate = { authorize: () => false, record: () => undefined };

/** A reversible tokenizer: `tokenize` is deterministic per key; reversal goes through the gate. */
export interface Tokenizer {
  /** Names the tokenizer in audit records (e.g. the project). */
  readonly id: string;
  tokenize(value: string): string;
  reidentify(token: string, actor: Actor): Promise<string>;
  /** Reverses several tokens under one decision and one audit record. */
  reidentifyMany(tokens: readonly string[], actor: Actor): Promise<string[]>;
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

async function gateCheck(
  gate: ReidentifyGate,
  tokenizer: string,
  tokens: readonly string[],
  actor: Actor,
  reverse: (token: string) => string | undefined,
): Promise<string[]> {
  const event = (outcome: ReidentifyEvent['outcome']): ReidentifyEvent => ({
    actor,
    tokenizer,
    tokenDigests: tokens.map(digest),
    outcome,
    at: (gate.now ?? Date.now)(),
  });
  if (!(await gate.authorize(actor, tokenizer))) {
    await gate.record(event('denied'));
    throw forbidden(`actor ${actor.id} may not re-identify tokens of ${tokenizer}`, {
      zh: `用户 ${actor.id} 无权对 ${tokenizer} 的令牌进行重标识`,
      hint: 'ask the project owner for a role allowed to re-identify, and state the purpose',
    });
  }
  const values = tokens.map(reverse);
  if (values.some((v) => v === undefined)) {
    await gate.record(event('unknown-token'));
    throw deidError('unknown or tampered token', '令牌未知或已被篡改', { path: 'token' });
  }
  // Recorded first, released after: if the record fails, the caller gets the error, not the values.
  await gate.record(event('granted'));
  return values as string[];
}

/**
 * Deterministic authenticated encryption in the SIV style (RFC 5297's construction with
 * HMAC-SHA-256 as the PRF instead of CMAC): IV = HMAC(k1, value)[0..16], C = AES-256-CTR(k2, IV, value),
 * token = "tk_" + base64url(IV || C). Equal values give equal tokens (joins still work), the
 * IV authenticates the plaintext, and no table has to be kept.
 */
export function sivTokenizer(key: Uint8Array, gate: ReidentifyGate, id = 'tokens'): Tokenizer {
  const macKey = subKey(checkKey(key, 'tokenization'), 'siv-mac');
  const encKey = subKey(key, 'siv-enc');
  const siv = (value: Buffer) => createHmac('sha256', macKey).update(value).digest().subarray(0, 16);
  const reverse = (token: string): string | undefined => {
    if (!token.startsWith('tk_')) return undefined;
    const raw = Buffer.from(token.slice(3), 'base64url');
    if (raw.length < 16) return undefined;
    const iv = raw.subarray(0, 16);
    const d = createDecipheriv('aes-256-ctr', encKey, iv);
    const plain = Buffer.concat([d.update(raw.subarray(16)), d.final()]);
    return timingSafeEqual(siv(plain), iv) ? plain.toString('utf8') : undefined;
  };
  return {
    id,
    tokenize(value) {
      const plain = Buffer.from(value, 'utf8');
      const iv = siv(plain);
      const c = createCipheriv('aes-256-ctr', encKey, iv);
      return 'tk_' + Buffer.concat([iv, c.update(plain), c.final()]).toString('base64url');
    },
    async reidentify(token, actor) {
      return (await gateCheck(gate, id, [token], actor, reverse))[0]!;
    },
    reidentifyMany(tokens, actor) {
      return gateCheck(gate, id, tokens, actor, reverse);
    },
  };
}

/**
 * A token vault: random-looking tokens (HMAC of the value, so still deterministic) kept in a
 * table that maps back to the value. Use it when tokens must not carry ciphertext; persist
 * with `toJSON` / `fromJSON` and keep the vault as secret as the data.
 */
export class TokenVault implements Tokenizer {
  readonly #key: KeyedHmac;
  readonly #byToken = new Map<string, string>();

  constructor(
    key: Uint8Array,
    private readonly gate: ReidentifyGate,
    entries: Record<string, string> = {},
    readonly id = 'vault',
  ) {
    this.#key = new KeyedHmac(subKey(checkKey(key, 'token vault'), 'vault'));
    for (const [t, v] of Object.entries(entries)) this.#byToken.set(t, v);
  }

  tokenize(value: string): string {
    const token = 'tv_' + hmacPseudonym(this.#key, value, 24);
    this.#byToken.set(token, value);
    return token;
  }

  async reidentify(token: string, actor: Actor): Promise<string> {
    return (await this.reidentifyMany([token], actor))[0]!;
  }

  reidentifyMany(tokens: readonly string[], actor: Actor): Promise<string[]> {
    return gateCheck(this.gate, this.id, tokens, actor, (t) => this.#byToken.get(t));
  }

  get size(): number {
    return this.#byToken.size;
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.#byToken);
  }
}
