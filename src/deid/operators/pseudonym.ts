import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
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

/** Who asks to reverse a token, and why; the audit callback receives it (never the value). */
export interface Actor {
  id: string;
  roles: readonly string[];
  purpose?: string;
}

export interface ReidentifyEvent {
  actor: Actor;
  token: string;
  outcome: 'granted' | 'denied' | 'unknown-token';
  at: number;
}

export interface ReidentifyGate {
  /** Whether this actor may see the original value. */
  authorized: (actor: Actor) => boolean;
  /** Called for every attempt, granted or not; the lead wires it to the ledger. */
  audit: (event: ReidentifyEvent) => void;
  now?: () => number;
}

/** A reversible tokenizer: `tokenize` is deterministic per key; `reidentify` checks and audits. */
export interface Tokenizer {
  tokenize(value: string): string;
  reidentify(token: string, actor: Actor): string;
}

function gateCheck(
  gate: ReidentifyGate,
  token: string,
  actor: Actor,
  reverse: () => string | undefined,
): string {
  const at = (gate.now ?? Date.now)();
  if (!gate.authorized(actor)) {
    gate.audit({ actor, token, outcome: 'denied', at });
    throw forbidden(`actor ${actor.id} may not re-identify tokens`, {
      zh: `用户 ${actor.id} 无权对令牌进行重标识`,
      hint: 'ask the project owner for a role allowed to re-identify',
    });
  }
  const value = reverse();
  if (value === undefined) {
    gate.audit({ actor, token, outcome: 'unknown-token', at });
    throw deidError('unknown or tampered token', '令牌未知或已被篡改', { path: 'token' });
  }
  gate.audit({ actor, token, outcome: 'granted', at });
  return value;
}

/**
 * Deterministic authenticated encryption in the SIV style (RFC 5297's construction with
 * HMAC-SHA-256 as the PRF instead of CMAC): IV = HMAC(k1, value)[0..16], C = AES-256-CTR(k2, IV, value),
 * token = "tk_" + base64url(IV || C). Equal values give equal tokens (joins still work), the
 * IV authenticates the plaintext, and no table has to be kept.
 */
export function sivTokenizer(key: Uint8Array, gate: ReidentifyGate): Tokenizer {
  const macKey = subKey(checkKey(key, 'tokenization'), 'siv-mac');
  const encKey = subKey(key, 'siv-enc');
  const siv = (value: Buffer) => createHmac('sha256', macKey).update(value).digest().subarray(0, 16);
  return {
    tokenize(value) {
      const plain = Buffer.from(value, 'utf8');
      const iv = siv(plain);
      const c = createCipheriv('aes-256-ctr', encKey, iv);
      return 'tk_' + Buffer.concat([iv, c.update(plain), c.final()]).toString('base64url');
    },
    reidentify(token, actor) {
      return gateCheck(gate, token, actor, () => {
        if (!token.startsWith('tk_')) return undefined;
        const raw = Buffer.from(token.slice(3), 'base64url');
        if (raw.length < 16) return undefined;
        const iv = raw.subarray(0, 16);
        const d = createDecipheriv('aes-256-ctr', encKey, iv);
        const plain = Buffer.concat([d.update(raw.subarray(16)), d.final()]);
        return timingSafeEqual(siv(plain), iv) ? plain.toString('utf8') : undefined;
      });
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
  ) {
    this.#key = new KeyedHmac(subKey(checkKey(key, 'token vault'), 'vault'));
    for (const [t, v] of Object.entries(entries)) this.#byToken.set(t, v);
  }

  tokenize(value: string): string {
    const token = 'tv_' + hmacPseudonym(this.#key, value, 24);
    this.#byToken.set(token, value);
    return token;
  }

  reidentify(token: string, actor: Actor): string {
    return gateCheck(this.gate, token, actor, () => this.#byToken.get(token));
  }

  get size(): number {
    return this.#byToken.size;
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.#byToken);
  }
}
