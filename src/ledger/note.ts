/**
 * C2SP signed-note: text ending in a newline, a blank line, then signature lines
 * `— <key name> base64(key ID || signature)`. Ed25519 note keys (type 0x01) sign checkpoints;
 * witnesses' timestamped cosignatures (type 0x04) live in cosignature.ts. Pure functions that
 * return results instead of throwing, so the browser verifier can use them as they are.
 */
import { ed25519Verify, fromBase64, sha256Concat, toBase64, utf8, type Ed25519Signer } from './primitives.js';

export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;

/** Verifiers accept at least 16 signatures (signed-note); more than this is refused as abuse. */
export const MAX_SIGNATURES = 64;

export interface NoteSignature {
  name: string;
  keyId: number;
  /** The bytes after the key ID. */
  signature: Uint8Array;
  /** The line as it appeared, without its newline. */
  line: string;
}

export interface Note {
  /** The signed text, including its final newline. */
  text: string;
  signatures: NoteSignature[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const KEY_NAME = /^[^\s+]+$/u;

export const isValidKeyName = (name: string): boolean => name.length > 0 && KEY_NAME.test(name);

/** key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian. */
export function keyIdOf(name: string, type: number, publicKey: Uint8Array): number {
  const digest = sha256Concat([utf8(name), Uint8Array.of(0x0a, type), publicKey]);
  return Buffer.from(digest).readUInt32BE(0);
}

/** A public key as notes name it: the tuple (name, key ID) plus the key that checks it. */
export interface VerifierKey {
  name: string;
  type: number;
  keyId: number;
  publicKey: Uint8Array;
}

export function verifierKey(name: string, type: number, publicKey: Uint8Array): VerifierKey {
  if (!isValidKeyName(name)) throw new TypeError(`"${name}" is not a valid note key name`);
  return { name, type, keyId: keyIdOf(name, type, publicKey), publicKey };
}

const hex8 = (keyId: number) => keyId.toString(16).padStart(8, '0');

/** The `name+hash+base64(type || key)` vkey text that operators exchange. */
export const formatVerifierKey = (key: VerifierKey): string =>
  `${key.name}+${hex8(key.keyId)}+${toBase64(Uint8Array.of(key.type, ...key.publicKey))}`;

export function parseVerifierKey(text: string): Parsed<VerifierKey> {
  // Names and hashes have no '+', base64 may: split at the first two only.
  const match = /^([^+]+)\+([^+]+)\+(.+)$/.exec(text.trim());
  if (!match) return { ok: false, problem: 'a verifier key is name+hash+base64' };
  const [, name, hash, material] = match as unknown as [string, string, string, string];
  if (!isValidKeyName(name)) return { ok: false, problem: `"${name}" is not a valid key name` };
  if (!/^[0-9a-f]{8}$/.test(hash))
    return { ok: false, problem: 'the key hash must be 8 lowercase hex digits' };
  const bytes = fromBase64(material);
  if (!bytes || bytes.length !== 33)
    return { ok: false, problem: 'the key must be base64 of a type byte and 32 key bytes' };
  const type = bytes[0]!;
  if (type !== SIG_ED25519 && type !== SIG_COSIGNATURE_V1)
    return {
      ok: false,
      problem: `signature type 0x${type.toString(16)} is not supported (Ed25519 0x01 or cosignature 0x04)`,
    };
  const key = verifierKey(name, type, bytes.subarray(1));
  if (hex8(key.keyId) !== hash) return { ok: false, problem: 'the key hash does not match the name and key' };
  return { ok: true, value: key };
}

/** Something that signs note text under a key name: the log's Ed25519 key. */
export interface NoteSigner {
  readonly key: VerifierKey;
  signatureLine(text: string): string;
}

export function ed25519NoteSigner(name: string, signer: Ed25519Signer): NoteSigner {
  const key = verifierKey(name, SIG_ED25519, signer.publicKey);
  return {
    key,
    signatureLine: (text) => signatureLine(name, key.keyId, signer.sign(utf8(text))),
  };
}

export function signatureLine(name: string, keyId: number, signature: Uint8Array): string {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(keyId);
  return `— ${name} ${toBase64(Buffer.concat([id, signature]))}`;
}

// Control characters other than newline are forbidden anywhere in a note.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;

export function parseNote(note: string): Parsed<Note> {
  if (CONTROL.test(note)) return { ok: false, problem: 'a note must not contain control characters' };
  if (!note.endsWith('\n')) return { ok: false, problem: 'a note must end with a newline' };
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return { ok: false, problem: 'a note needs a blank line before its signatures' };
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length === 0 || lines[0] === '')
    return { ok: false, problem: 'a note needs at least one signature' };
  if (lines.length > MAX_SIGNATURES) return { ok: false, problem: `more than ${MAX_SIGNATURES} signatures` };
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    const parsed = parseSignatureLine(line);
    if (!parsed.ok) return parsed;
    signatures.push(parsed.value);
  }
  return { ok: true, value: { text, signatures } };
}

export function parseSignatureLine(line: string): Parsed<NoteSignature> {
  const match = /^— (\S+) (\S+)$/u.exec(line);
  if (!match) return { ok: false, problem: `"${line.slice(0, 60)}" is not a signature line` };
  const [, name, encoded] = match as unknown as [string, string, string];
  if (!isValidKeyName(name)) return { ok: false, problem: `"${name}" is not a valid key name` };
  const bytes = fromBase64(encoded);
  if (!bytes || bytes.length < 5)
    return { ok: false, problem: `the signature by ${name} is not valid base64` };
  const keyId = Buffer.from(bytes).readUInt32BE(0);
  return { ok: true, value: { name, keyId, signature: bytes.subarray(4), line } };
}

/**
 * Opens a note signed by Ed25519 note keys: signatures by unknown keys are ignored, a known key
 * whose signature fails rejects the note, and at least one known key must have signed it.
 */
export function openNote(
  note: string,
  keys: readonly VerifierKey[],
): Parsed<{ note: Note; signedBy: VerifierKey[] }> {
  const parsed = parseNote(note);
  if (!parsed.ok) return parsed;
  const signedBy: VerifierKey[] = [];
  for (const sig of parsed.value.signatures) {
    const key = keys.find((k) => k.type === SIG_ED25519 && k.name === sig.name && k.keyId === sig.keyId);
    if (!key) continue;
    if (!ed25519Verify(key.publicKey, utf8(parsed.value.text), sig.signature))
      return { ok: false, problem: `the signature by ${key.name} does not verify` };
    if (!signedBy.includes(key)) signedBy.push(key);
  }
  if (signedBy.length === 0) return { ok: false, problem: 'no signature by a trusted key' };
  return { ok: true, value: { note: parsed.value, signedBy } };
}
