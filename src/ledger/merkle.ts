/**
 * RFC 9162 §2.1 Merkle tree math over SHA-256: tree hashes, inclusion and consistency proofs
 * (generation from a source of subtree hashes, and verification). Pure: no storage, no clock.
 *
 * Sizes and indexes are JavaScript numbers (exact to 2^53); halving uses division rather than
 * `>>`, which would wrap at 2^31.
 */
import { bytesEqual, sha256, sha256Latin1 } from './primitives.js';

export const HASH_SIZE = 32;

/** MTH({}) = SHA-256() = e3b0c442…b855. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

// Reused for every node hash: hashing is synchronous, so nothing else can touch it meanwhile.
const nodeScratch = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeScratch[0] = 0x01;

/** MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(entry: Uint8Array): Uint8Array {
  const input = Buffer.allocUnsafe(1 + entry.length);
  input[0] = 0x00;
  input.set(entry, 1);
  return sha256(input);
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_SIZE);
  return sha256(nodeScratch);
}

/**
 * SHA-256(0x01 || the 64 bytes at `src[at]`) written to `out[outAt]`: a node hash of two adjacent
 * packed child hashes, with no buffer allocated (the bulk path of appends and verification).
 */
export function nodeHashInto(src: Buffer, at: number, out: Buffer, outAt: number): void {
  src.copy(nodeScratch, 1, at, at + 2 * HASH_SIZE);
  out.write(sha256Latin1(nodeScratch), outAt, 'latin1');
}

/**
 * MTH of `count` (a power of two) leaf hashes packed 32 bytes apart in `leaves` from `offset`,
 * computed level by level in one scratch buffer.
 */
export function packedSubtreeHash(leaves: Buffer, offset: number, count: number): Buffer {
  if (count === 1) return Buffer.from(leaves.subarray(offset, offset + HASH_SIZE));
  let width = count / 2;
  const work = Buffer.allocUnsafe(width * HASH_SIZE);
  for (let i = 0; i < width; i++) nodeHashInto(leaves, offset + 2 * i * HASH_SIZE, work, i * HASH_SIZE);
  // In place: parent i overwrites child i, which the parents before it have already read.
  while (width > 1) {
    width /= 2;
    for (let i = 0; i < width; i++) nodeHashInto(work, 2 * i * HASH_SIZE, work, i * HASH_SIZE);
  }
  return work.subarray(0, HASH_SIZE);
}

/** The largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export const isPowerOfTwo = (n: number): boolean =>
  n >= 1 && Number.isInteger(Math.log2(n)) && 2 ** Math.log2(n) === n;

/**
 * Where proofs get subtree hashes from: `perfect(level, index)` is the hash of the complete,
 * aligned subtree of 2^level leaves starting at leaf index·2^level.
 */
export interface SubtreeSource {
  perfect(level: number, index: number): Uint8Array;
}

/** MTH(D[start:end]) for the ranges RFC 9162's recursion produces (left parts always aligned). */
export function rangeHash(source: SubtreeSource, start: number, end: number): Uint8Array {
  const size = end - start;
  if (size <= 0) return EMPTY_ROOT;
  if (isPowerOfTwo(size) && start % size === 0) return source.perfect(Math.log2(size), start / size);
  const k = splitPoint(size);
  return nodeHash(rangeHash(source, start, start + k), rangeHash(source, start + k, end));
}

/** The tree head of the first `size` leaves. */
export const treeHead = (source: SubtreeSource, size: number): Uint8Array => rangeHash(source, 0, size);

/** PATH(m, D[n]) of RFC 9162 §2.1.3.1: the audit path for leaf `index` in a tree of `size`. */
export function inclusionPath(source: SubtreeSource, index: number, size: number): Uint8Array[] {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size)
    throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const path: Uint8Array[] = [];
  collectPath(source, index, 0, size, path);
  return path;
}

function collectPath(source: SubtreeSource, m: number, start: number, end: number, out: Uint8Array[]): void {
  const n = end - start;
  if (n <= 1) return;
  const k = splitPoint(n);
  if (m < k) {
    collectPath(source, m, start, start + k, out);
    out.push(rangeHash(source, start + k, end));
  } else {
    collectPath(source, m - k, start + k, end, out);
    out.push(rangeHash(source, start, start + k));
  }
}

/** PROOF(m, D[n]) of RFC 9162 §2.1.4.1; empty when m = n or m = 0 (nothing to prove). */
export function consistencyPath(source: SubtreeSource, oldSize: number, newSize: number): Uint8Array[] {
  if (!Number.isInteger(oldSize) || !Number.isInteger(newSize) || oldSize < 0 || oldSize > newSize)
    throw new RangeError(`no consistency proof from size ${oldSize} to size ${newSize}`);
  const proof: Uint8Array[] = [];
  if (oldSize === 0 || oldSize === newSize) return proof;
  collectSubproof(source, oldSize, 0, newSize, true, proof);
  return proof;
}

function collectSubproof(
  source: SubtreeSource,
  m: number,
  start: number,
  end: number,
  complete: boolean,
  out: Uint8Array[],
): void {
  const n = end - start;
  if (m === n) {
    if (!complete) out.push(rangeHash(source, start, end));
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    collectSubproof(source, m, start, start + k, complete, out);
    out.push(rangeHash(source, start + k, end));
  } else {
    collectSubproof(source, m - k, start + k, end, false, out);
    out.push(rangeHash(source, start, start + k));
  }
}

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or undefined when the proof has the
 * wrong length for (index, size).
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  path: readonly Uint8Array[],
): Uint8Array | undefined {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (p.length !== HASH_SIZE || sn === 0) return undefined;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : undefined;
}

export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  path: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const computed = rootFromInclusionProof(index, size, leaf, path);
  return computed !== undefined && bytesEqual(computed, root);
}

/**
 * RFC 9162 §2.1.4.2. Sizes equal: the proof must be empty and the roots identical. Old size 0:
 * the empty tree is a prefix of every tree, and the proof must be empty (as tlog-witness says).
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isInteger(oldSize) || !Number.isInteger(newSize) || oldSize < 0 || oldSize > newSize)
    return false;
  if (proof.some((p) => p.length !== HASH_SIZE)) return false;
  if (oldSize === 0) return proof.length === 0;
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot) && sn === 0;
}
