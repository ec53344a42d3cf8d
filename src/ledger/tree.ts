/**
 * The log's Merkle tree kept in memory compactly: every complete subtree hash at levels at and
 * above `baseLevel`, in one flat buffer per level (32 bytes a node, no per-node objects), plus
 * the leaf hashes of the unfinished rightmost base subtree ("tail"). With baseLevel 4 a
 * million-entry log costs about 4 MB; subtree hashes below the base level come from the caller
 * (the ledger reads the 16 leaf hashes of one tile from the database).
 */
import { HASH_SIZE, nodeHash, packedSubtreeHash, rangeHash, type SubtreeSource } from './merkle.js';

class HashArray {
  private buffer = Buffer.alloc(HASH_SIZE * 64);
  length = 0;

  push(hash: Uint8Array): void {
    if ((this.length + 1) * HASH_SIZE > this.buffer.length) {
      const grown = Buffer.alloc(this.buffer.length * 2);
      this.buffer.copy(grown, 0, 0, this.length * HASH_SIZE);
      this.buffer = grown;
    }
    this.buffer.set(hash, this.length * HASH_SIZE);
    this.length++;
  }

  /** Appends hashes packed 32 bytes apart, with one copy. */
  pushPacked(hashes: Uint8Array): void {
    const count = hashes.length / HASH_SIZE;
    let capacity = this.buffer.length;
    while ((this.length + count) * HASH_SIZE > capacity) capacity *= 2;
    if (capacity > this.buffer.length) {
      const grown = Buffer.alloc(capacity);
      this.buffer.copy(grown, 0, 0, this.length * HASH_SIZE);
      this.buffer = grown;
    }
    this.buffer.set(hashes, this.length * HASH_SIZE);
    this.length += count;
  }

  at(index: number): Uint8Array {
    return this.buffer.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }
}

/** Leaf hashes of one complete tile below the base level, read from wherever they are stored. */
export type TileReader = (tile: number) => readonly Uint8Array[] | undefined;

/** Thrown by a source when a proof needs a tile that has not been loaded yet. */
export class MissingTile extends Error {
  constructor(readonly tile: number) {
    super(`tile ${tile} is not loaded`);
  }
}

/** A base-level subtree completed by staged leaves, to be stored beside them. */
export interface BaseNode {
  index: number;
  hash: Uint8Array;
  /** The leaf hashes under it (one tile), for caches of proof material. */
  leaves: readonly Uint8Array[];
}

/** A base-level subtree completed by packed staged leaves. */
export interface PackedBaseNode {
  index: number;
  hash: Uint8Array;
  /** The tile's leaf hashes, 32 bytes each, back to back. */
  packed: Buffer;
}

/** Leaves staged with `stagePacked`: what they complete, and the tree's state once committed. */
export interface StagedPacked {
  baseNodes: PackedBaseNode[];
  /** Leaves in the tree after `commit`. */
  readonly size: number;
  readonly baseNodeCount: number;
  /** The unfinished tile's leaf hashes after `commit`. */
  readonly tail: readonly Uint8Array[];
  /** Applies the staged leaves; throws if the tree is not where it was staged from. */
  commit(): void;
}

export class CompactTree {
  private readonly levels: HashArray[] = [];
  private tail: Uint8Array[] = [];
  private count = 0;
  readonly tileSize: number;

  constructor(readonly baseLevel: number = 0) {
    if (!Number.isInteger(baseLevel) || baseLevel < 0 || baseLevel > 16)
      throw new RangeError('baseLevel must be an integer from 0 to 16');
    this.tileSize = 2 ** baseLevel;
  }

  get size(): number {
    return this.count;
  }

  /** Base-level subtrees complete so far (the rows of the node table). */
  get baseNodeCount(): number {
    return this.levels[this.baseLevel]?.length ?? 0;
  }

  /** Restores a tree from its stored base nodes and the tail's leaf hashes (at startup). */
  static restore(
    baseLevel: number,
    baseNodes: readonly Uint8Array[],
    tail: readonly Uint8Array[],
  ): CompactTree {
    const tree = new CompactTree(baseLevel);
    if (tail.length >= tree.tileSize) throw new RangeError('the tail must be shorter than one tile');
    for (const node of baseNodes) tree.pushBase(node);
    tree.tail = [...tail];
    tree.count = baseNodes.length * tree.tileSize + tail.length;
    return tree;
  }

  append(leaf: Uint8Array): void {
    this.stage([leaf]).commit();
  }

  /**
   * `append` without staging: for rebuilding a tree from stored leaves (verification), where
   * there is no transaction to wait for and the per-leaf arrays of `stage` would dominate.
   */
  appendLeaf(leaf: Uint8Array): void {
    this.tail.push(leaf);
    this.count++;
    if (this.tail.length === this.tileSize) {
      const hash = subtreeHash(this.tail);
      this.tail = [];
      this.pushBase(hash);
    }
  }

  /**
   * Computes what appending `leaves` would change without changing anything: the base nodes
   * they complete (stored in the same transaction as the leaves), and `commit` to apply it once
   * that transaction has committed.
   */
  stage(leaves: readonly Uint8Array[]): { baseNodes: BaseNode[]; commit: () => void } {
    const baseNodes: BaseNode[] = [];
    let pending = [...this.tail];
    let nextIndex = this.baseNodeCount;
    for (const leaf of leaves) {
      pending.push(leaf);
      if (pending.length === this.tileSize) {
        baseNodes.push({ index: nextIndex++, hash: subtreeHash(pending), leaves: pending });
        pending = [];
      }
    }
    const startCount = this.count;
    return {
      baseNodes,
      commit: () => {
        if (this.count !== startCount) throw new Error('the tree changed after staging');
        for (const node of baseNodes) this.pushBase(node.hash);
        this.tail = pending;
        this.count += leaves.length;
      },
    };
  }

  /**
   * `stage` for leaf hashes packed 32 bytes apart in one buffer (the append and verification
   * paths): no array or object per leaf, tile hashes computed in one scratch buffer each. With
   * `after`, the leaves follow a batch staged earlier and not committed yet (group commits in
   * flight one behind the other); its `commit` must come first.
   */
  stagePacked(leaves: Buffer, count: number, after?: StagedPacked): StagedPacked {
    if (leaves.length < count * HASH_SIZE) throw new RangeError(`fewer than ${count} leaf hashes`);
    const from = after ?? { size: this.count, baseNodeCount: this.baseNodeCount, tail: this.tail };
    const tail = from.tail.length;
    const work = Buffer.allocUnsafe((tail + count) * HASH_SIZE);
    from.tail.forEach((leaf, i) => work.set(leaf, i * HASH_SIZE));
    leaves.copy(work, tail * HASH_SIZE, 0, count * HASH_SIZE);
    const tileBytes = this.tileSize * HASH_SIZE;
    const complete = Math.floor((tail + count) / this.tileSize);
    const baseNodes: PackedBaseNode[] = new Array(complete);
    const first = from.baseNodeCount;
    for (let t = 0; t < complete; t++)
      baseNodes[t] = {
        index: first + t,
        hash: packedSubtreeHash(work, t * tileBytes, this.tileSize),
        packed: work.subarray(t * tileBytes, (t + 1) * tileBytes),
      };
    const pending: Uint8Array[] = [];
    for (let at = complete * tileBytes; at < work.length; at += HASH_SIZE)
      pending.push(work.subarray(at, at + HASH_SIZE));
    const startCount = from.size;
    return {
      baseNodes,
      size: startCount + count,
      baseNodeCount: first + complete,
      tail: pending,
      commit: () => {
        if (this.count !== startCount) throw new Error('the tree changed after staging');
        for (const node of baseNodes) this.pushBase(node.hash);
        this.tail = pending;
        this.count += count;
      },
    };
  }

  /**
   * Appends a complete subtree of 2^level leaves whose hashes were computed elsewhere (a
   * verification worker): `nodes` holds its node hashes from the base level up, level by level
   * (the base nodes first, its root last), 32 bytes each. The tree must stand at a multiple of
   * 2^level, so that the subtree is aligned; only the hashes above it are computed here.
   */
  appendSubtree(level: number, nodes: Uint8Array): void {
    if (!Number.isInteger(level) || level < this.baseLevel)
      throw new RangeError(`a subtree below the base level ${this.baseLevel} cannot be appended`);
    const leaves = 2 ** level;
    if (this.count % leaves !== 0) throw new RangeError(`the tree's size is not a multiple of ${leaves}`);
    let width = 2 ** (level - this.baseLevel);
    if (nodes.length !== (2 * width - 1) * HASH_SIZE)
      throw new RangeError(`a subtree of level ${level} has ${2 * width - 1} nodes from the base level`);
    let at = 0;
    for (let l = this.baseLevel; l < level; l++, width /= 2) {
      (this.levels[l] ??= new HashArray()).pushPacked(nodes.subarray(at, at + width * HASH_SIZE));
      at += width * HASH_SIZE;
    }
    this.pushNode(level, nodes.subarray(at, at + HASH_SIZE));
    this.count += leaves;
  }

  private pushBase(hash: Uint8Array): void {
    this.pushNode(this.baseLevel, hash);
  }

  /** Adds a complete subtree hash at `level` and the parents it completes above it. */
  private pushNode(at: number, hash: Uint8Array): void {
    let level = at;
    let node = hash;
    for (;;) {
      const row = (this.levels[level] ??= new HashArray());
      row.push(node);
      if (row.length % 2 === 1) return;
      node = nodeHash(row.at(row.length - 2), row.at(row.length - 1));
      level++;
    }
  }

  /** A subtree source for proofs over this tree; `tiles` supplies leaf hashes below the base. */
  source(tiles: TileReader = () => undefined): SubtreeSource {
    return {
      perfect: (level, index) => {
        if (level >= this.baseLevel) {
          const row = this.levels[level];
          if (!row || index >= row.length) throw new RangeError(`no complete subtree ${level}/${index}`);
          return row.at(index);
        }
        const first = index * 2 ** level;
        const tile = Math.floor(first / this.tileSize);
        const offset = first - tile * this.tileSize;
        const leaves = tile === this.baseNodeCount ? this.tail : tiles(tile);
        if (!leaves) throw new MissingTile(tile);
        const span = leaves.slice(offset, offset + 2 ** level);
        if (span.length !== 2 ** level) throw new RangeError(`no complete subtree ${level}/${index}`);
        return subtreeHash(span);
      },
    };
  }

  /** The root of the first `size` leaves (default: all of them). */
  root(size: number = this.count, tiles?: TileReader): Uint8Array {
    if (size > this.count) throw new RangeError(`the tree has ${this.count} leaves, not ${size}`);
    return rangeHash(this.source(tiles), 0, size);
  }
}

/** MTH of a power-of-two run of leaf hashes, bottom up. */
export function subtreeHash(leaves: readonly Uint8Array[]): Uint8Array {
  let row = leaves;
  while (row.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i]!, row[i + 1]!));
    row = next;
  }
  const [top] = row;
  if (!top) throw new RangeError('no leaves');
  return top;
}
