/**
 * The stand-alone verifier for the patient portal, the web console and other institutions: pure
 * functions, no database, no Node APIs beyond primitives.ts. Given a checkpoint, the log's key and
 * the consortium's witness keys, it checks signatures, quorum and proofs.
 */
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import { verifyCosignatures, type VerifiedCosignature } from './cosignature.js';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle.js';
import { parseVerifierKey, type Parsed, type VerifierKey } from './note.js';
import { fromBase64 } from './primitives.js';

export interface TrustPolicy {
  origin: string;
  /** The log's note verifier keys. */
  logKeys: readonly (string | VerifierKey)[];
  /** The consortium's witnesses' cosignature verifier keys. */
  witnesses?: readonly (string | VerifierKey)[];
  /** How many distinct witnesses must have cosigned (default 0). */
  quorum?: number;
  /** POSIX seconds: cosignatures dated after this are refused. */
  now?: number;
}

export interface TrustedCheckpoint extends Checkpoint {
  cosignatures: VerifiedCosignature[];
}

const keyOf = (k: string | VerifierKey): VerifierKey => {
  if (typeof k !== 'string') return k;
  const parsed = parseVerifierKey(k);
  if (!parsed.ok) throw new TypeError(`bad verifier key: ${parsed.problem}`);
  return parsed.value;
};

/** Opens a checkpoint: log signature, then at least `quorum` valid witness cosignatures. */
export function verifyCheckpoint(note: string, policy: TrustPolicy): Parsed<TrustedCheckpoint> {
  const opened = openCheckpoint(note, policy.origin, policy.logKeys.map(keyOf));
  if (!opened.ok) return opened;
  const cosigned = verifyCosignatures(
    note,
    (policy.witnesses ?? []).map(keyOf),
    policy.now === undefined ? {} : { notAfter: policy.now },
  );
  if (!cosigned.ok) return cosigned;
  const quorum = policy.quorum ?? 0;
  if (cosigned.value.length < quorum)
    return { ok: false, problem: `${cosigned.value.length} witness cosignatures, ${quorum} required` };
  return { ok: true, value: { ...opened.value, cosignatures: cosigned.value } };
}

/** The JSON form of an inclusion proof the API returns. */
export interface InclusionProofJson {
  index: number;
  treeSize: number;
  /** Base64 of each path hash. */
  path: string[];
  checkpoint: string;
}

const decodePath = (path: readonly string[]): Uint8Array[] | undefined => {
  const out: Uint8Array[] = [];
  for (const p of path) {
    const bytes = fromBase64(p);
    if (!bytes || bytes.length !== 32) return undefined;
    out.push(bytes);
  }
  return out;
};

/**
 * Checks that `entryBytes` (the canonical JSON the portal shows) is entry `index` of the log
 * under a checkpoint trusted by `policy`.
 */
export function verifyEntryInclusion(
  entryBytes: Uint8Array,
  proof: InclusionProofJson,
  policy: TrustPolicy,
): Parsed<TrustedCheckpoint> {
  const checkpoint = verifyCheckpoint(proof.checkpoint, policy);
  if (!checkpoint.ok) return checkpoint;
  if (checkpoint.value.size !== proof.treeSize)
    return { ok: false, problem: 'the proof is for another tree size than its checkpoint' };
  const path = decodePath(proof.path);
  if (!path) return { ok: false, problem: 'the path is not a list of base64 SHA-256 hashes' };
  if (!verifyInclusion(proof.index, proof.treeSize, leafHash(entryBytes), path, checkpoint.value.root))
    return { ok: false, problem: `the entry is not at index ${proof.index} of the signed tree` };
  return checkpoint;
}

/** Checks that a newer trusted checkpoint extends an older one (nothing rewritten in between). */
export function verifyCheckpointConsistency(
  olderNote: string,
  newerNote: string,
  proof: readonly string[],
  policy: TrustPolicy,
): Parsed<{ older: TrustedCheckpoint; newer: TrustedCheckpoint }> {
  const older = verifyCheckpoint(olderNote, policy);
  if (!older.ok) return older;
  const newer = verifyCheckpoint(newerNote, policy);
  if (!newer.ok) return newer;
  const path = decodePath(proof);
  if (!path) return { ok: false, problem: 'the proof is not a list of base64 SHA-256 hashes' };
  if (!verifyConsistency(older.value.size, newer.value.size, older.value.root, newer.value.root, path))
    return {
      ok: false,
      problem: `the checkpoints of sizes ${older.value.size} and ${newer.value.size} are inconsistent`,
    };
  return { ok: true, value: { older: older.value, newer: newer.value } };
}
