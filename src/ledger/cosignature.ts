/**
 * C2SP tlog-cosignature v1 (Ed25519, signature type 0x04): a witness's timestamped statement
 * that the checkpoint is the largest consistent tree head it has seen for the log.
 */
import {
  parseNote,
  signatureLine,
  SIG_COSIGNATURE_V1,
  verifierKey,
  type Parsed,
  type VerifierKey,
} from './note.js';
import { ed25519Verify, utf8, type Ed25519Signer } from './primitives.js';

/** The signed message: `cosignature/v1`, `time <seconds>`, then the checkpoint body. */
export const cosignedMessage = (body: string, timestamp: number): Uint8Array =>
  utf8(`cosignature/v1\ntime ${timestamp}\n${body}`);

export interface Cosigner {
  readonly key: VerifierKey;
  /** A signature line over the checkpoint body, timestamped with `timestamp` (POSIX seconds). */
  cosign(body: string, timestamp: number): string;
}

export function ed25519Cosigner(name: string, signer: Ed25519Signer): Cosigner {
  const key = verifierKey(name, SIG_COSIGNATURE_V1, signer.publicKey);
  return {
    key,
    cosign: (body, timestamp) => {
      const stamp = Buffer.alloc(8);
      stamp.writeBigUInt64BE(BigInt(timestamp));
      const signature = signer.sign(cosignedMessage(body, timestamp));
      return signatureLine(name, key.keyId, Buffer.concat([stamp, signature]));
    },
  };
}

export interface VerifiedCosignature {
  witness: VerifierKey;
  timestamp: number;
  line: string;
}

/**
 * The valid cosignatures on a checkpoint note by the given witness keys (unknown keys ignored).
 * A known key with a bad cosignature makes the whole note fail, as signed-note advises.
 */
export function verifyCosignatures(
  note: string,
  witnesses: readonly VerifierKey[],
  options: { notAfter?: number } = {},
): Parsed<VerifiedCosignature[]> {
  const parsed = parseNote(note);
  if (!parsed.ok) return parsed;
  const found: VerifiedCosignature[] = [];
  for (const sig of parsed.value.signatures) {
    const key = witnesses.find(
      (k) => k.type === SIG_COSIGNATURE_V1 && k.name === sig.name && k.keyId === sig.keyId,
    );
    if (!key) continue;
    if (sig.signature.length !== 8 + 64)
      return { ok: false, problem: `the cosignature by ${key.name} is malformed` };
    const timestamp = Buffer.from(sig.signature).readBigUInt64BE(0);
    if (timestamp > 2n ** 63n - 1n)
      return { ok: false, problem: `the cosignature by ${key.name} has a bad timestamp` };
    const seconds = Number(timestamp);
    if (options.notAfter !== undefined && seconds > options.notAfter)
      return { ok: false, problem: `the cosignature by ${key.name} is dated in the future` };
    if (!ed25519Verify(key.publicKey, cosignedMessage(parsed.value.text, seconds), sig.signature.subarray(8)))
      return { ok: false, problem: `the cosignature by ${key.name} does not verify` };
    if (!found.some((f) => f.witness === key))
      found.push({ witness: key, timestamp: seconds, line: sig.line });
  }
  return { ok: true, value: found };
}
