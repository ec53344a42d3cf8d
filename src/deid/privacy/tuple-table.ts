/**
 * Groups fixed-width integer tuples into dense ids with open addressing over typed arrays: no
 * strings, no per-tuple objects. This is the inner loop of every lattice check.
 */
export class TupleTable {
  #keys: Int32Array;
  #slots: Int32Array;
  #mask: number;
  #size = 0;

  constructor(
    readonly width: number,
    expected: number,
  ) {
    const cap = Math.max(16, expected);
    this.#keys = new Int32Array(cap * width);
    this.#slots = new Int32Array(pow2(cap * 2)).fill(-1);
    this.#mask = this.#slots.length - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Empties the table without giving back its memory. */
  clear(): void {
    this.#slots.fill(-1);
    this.#size = 0;
  }

  /** The tuple stored under an id (a view, valid until the next insert). */
  tuple(id: number): Int32Array {
    return this.#keys.subarray(id * this.width, id * this.width + this.width);
  }

  /** The id of the tuple in `scratch[0..width)`, inserting it when new. */
  idOf(scratch: Int32Array): number {
    const w = this.width;
    let h = 0x811c9dc5;
    for (let i = 0; i < w; i++) h = Math.imul(h ^ scratch[i]!, 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    let slot = h & this.#mask;
    const keys = this.#keys;
    for (;;) {
      const id = this.#slots[slot]!;
      if (id === -1) break;
      const base = id * w;
      let same = true;
      for (let i = 0; i < w; i++) {
        if (keys[base + i] !== scratch[i]) {
          same = false;
          break;
        }
      }
      if (same) return id;
      slot = (slot + 1) & this.#mask;
    }
    const id = this.#size++;
    if ((id + 1) * w > this.#keys.length) this.#grow();
    this.#keys.set(scratch.subarray(0, w), id * w);
    this.#slots[slot] = id;
    if (this.#size * 2 > this.#slots.length) this.#rehash();
    return id;
  }

  #grow(): void {
    const next = new Int32Array(this.#keys.length * 2);
    next.set(this.#keys);
    this.#keys = next;
  }

  #rehash(): void {
    const w = this.width;
    this.#slots = new Int32Array(this.#slots.length * 2).fill(-1);
    this.#mask = this.#slots.length - 1;
    for (let id = 0; id < this.#size; id++) {
      let h = 0x811c9dc5;
      for (let i = 0; i < w; i++) h = Math.imul(h ^ this.#keys[id * w + i]!, 0x01000193);
      h ^= h >>> 15;
      h = Math.imul(h, 0x2c1b3c6d);
      h ^= h >>> 12;
      let slot = h & this.#mask;
      while (this.#slots[slot] !== -1) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = id;
    }
  }
}

function pow2(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}
