/**
 * Leaf hashes of complete tiles kept in memory for inclusion and consistency proofs: a proof
 * needs the 16 leaf hashes of one tile below the in-memory tree, and reading them from the
 * database costs more than the rest of the proof. Tiles never change once complete, so the
 * cache needs no invalidation; it is filled as tiles complete (recent entries are the ones
 * proofs are asked for most: a patient checking a fresh access, a witness) and as older tiles
 * are read, and forgets the least recently used beyond its capacity.
 */
import { HASH_SIZE } from './merkle.js';

export class TileCache {
  // One buffer per tile (16 × 32 bytes) rather than 16 small arrays: a tenth of the heap per tile.
  private readonly tiles = new Map<number, Buffer>();

  /** @param capacity tiles kept (default 65,536: about 1M entries, 34 MB). */
  constructor(
    private readonly tileSize: number,
    private readonly capacity = 65_536,
  ) {}

  get(tile: number): Uint8Array[] | undefined {
    const packed = this.tiles.get(tile);
    if (!packed) return undefined;
    // Most recently used goes last, so eviction takes the first.
    this.tiles.delete(tile);
    this.tiles.set(tile, packed);
    const leaves: Uint8Array[] = new Array(this.tileSize);
    for (let i = 0; i < this.tileSize; i++) leaves[i] = packed.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
    return leaves;
  }

  put(tile: number, leaves: readonly Uint8Array[]): void {
    if (this.capacity === 0 || leaves.length !== this.tileSize) return;
    const packed = Buffer.allocUnsafe(this.tileSize * HASH_SIZE);
    leaves.forEach((leaf, i) => packed.set(leaf, i * HASH_SIZE));
    this.tiles.delete(tile);
    this.tiles.set(tile, packed);
    if (this.tiles.size > this.capacity) this.tiles.delete(this.tiles.keys().next().value!);
  }

  /** `put` for a tile's leaf hashes already packed back to back (kept as given, not copied). */
  putPacked(tile: number, packed: Buffer): void {
    if (this.capacity === 0 || packed.length !== this.tileSize * HASH_SIZE) return;
    this.tiles.delete(tile);
    this.tiles.set(tile, packed);
    if (this.tiles.size > this.capacity) this.tiles.delete(this.tiles.keys().next().value!);
  }

  get size(): number {
    return this.tiles.size;
  }
}
