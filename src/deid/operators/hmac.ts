import { createHash } from 'node:crypto';

/**
 * HMAC-SHA-256 (RFC 2104, FIPS 180-4) for the record-level hot path. Pseudonyms and date shifts
 * need one HMAC per cell; `createHmac` costs about 3 µs a call here, mostly crossing into C++ and
 * allocating the key schedule again for every value. This keeps the two midstates after the
 * ipad and opad blocks (the "reuse a keyed HMAC state" of RFC 2104 §4) and runs the remaining
 * compressions in JavaScript on preallocated arrays: two compressions for values up to 55 bytes,
 * no allocation per call. Results are bit-identical to `createHmac('sha256', key)`, which the
 * tests check on random inputs.
 */

// prettier-ignore
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// prettier-ignore
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));

const bigS1 = (e: number) => ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
const bigS0 = (a: number) => ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));

/**
 * One SHA-256 compression of the 64 bytes at `bytes[offset..]` into `state`. Pairwise `| 0` keeps
 * every sum in int32 so V8 never falls back to float arithmetic. The rounds are unrolled by four
 * with the working variables renamed instead of shifted (measured ~30% faster here); Ch and Maj
 * use their two-operation forms.
 */
function compress(state: Int32Array, w: Int32Array, bytes: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    w[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (((w[i - 16]! + s0) | 0) + ((w[i - 7]! + s1) | 0)) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i += 4) {
    let t = (((((h + bigS1(e)) | 0) + (g ^ (e & (f ^ g)))) | 0) + ((K[i]! + w[i]!) | 0)) | 0;
    d = (d + t) | 0;
    h = (t + ((bigS0(a) + ((a & b) | (c & (a | b)))) | 0)) | 0;
    t = (((((g + bigS1(d)) | 0) + (f ^ (d & (e ^ f)))) | 0) + ((K[i + 1]! + w[i + 1]!) | 0)) | 0;
    c = (c + t) | 0;
    g = (t + ((bigS0(h) + ((h & a) | (b & (h | a)))) | 0)) | 0;
    t = (((((f + bigS1(c)) | 0) + (e ^ (c & (d ^ e)))) | 0) + ((K[i + 2]! + w[i + 2]!) | 0)) | 0;
    b = (b + t) | 0;
    f = (t + ((bigS0(g) + ((g & h) | (a & (g | h)))) | 0)) | 0;
    t = (((((e + bigS1(b)) | 0) + (d ^ (b & (c ^ d)))) | 0) + ((K[i + 3]! + w[i + 3]!) | 0)) | 0;
    a = (a + t) | 0;
    e = (t + ((bigS0(f) + ((f & g) | (h & (f | g)))) | 0)) | 0;
    // Four rounds later the roles have turned by four: swap the halves back into place.
    // (Explicit temporaries: a destructuring swap here allocated and halved the speed.)
    t = a;
    a = e;
    e = t;
    t = b;
    b = f;
    f = t;
    t = c;
    c = g;
    g = t;
    t = d;
    d = h;
    h = t;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

const encoder = new TextEncoder();

/**
 * A keyed HMAC-SHA-256 whose per-call work is only the message's own blocks. Not reentrant (it
 * reuses its buffers), which is fine for the single-threaded operators that own one each.
 */
export class KeyedHmac {
  readonly #inner = new Int32Array(8);
  readonly #outer = new Int32Array(8);
  readonly #state = new Int32Array(8);
  readonly #w = new Int32Array(64);
  #buf = new Uint8Array(256);
  readonly #block = new Uint8Array(64);

  constructor(key: Uint8Array) {
    let k = Uint8Array.from(key);
    if (k.length > 64) k = createHash('sha256').update(k).digest();
    const pad = new Uint8Array(64);
    pad.set(k);
    const ipad = pad.map((x) => x ^ 0x36);
    const opad = pad.map((x) => x ^ 0x5c);
    this.#inner.set(IV);
    compress(this.#inner, this.#w, ipad, 0);
    this.#outer.set(IV);
    compress(this.#outer, this.#w, opad, 0);
    this.#block[32] = 0x80;
    writeBitLength(this.#block, 56, 64 + 32);
  }

  /** Writes the UTF-8 bytes of `value` after `prefixLength` bytes already in the buffer. */
  #encode(value: string, prefixLength: number): number {
    const n = value.length;
    // Room for the message, the 0x80 marker, padding and the length: at most 3 bytes a UTF-16 unit.
    const need = prefixLength + n * 3 + 72;
    if (this.#buf.length < need) {
      const grown = new Uint8Array(need * 2);
      grown.set(this.#buf.subarray(0, prefixLength));
      this.#buf = grown;
    }
    const buf = this.#buf;
    // ASCII is the common case (codes, numbers, dates); anything else goes through TextEncoder.
    let i = 0;
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) break;
      buf[prefixLength + i] = c;
    }
    if (i === n) return prefixLength + n;
    const { written } = encoder.encodeInto(value.slice(i), buf.subarray(prefixLength + i));
    return prefixLength + i + written;
  }

  /** Leaves HMAC(key, prefix bytes ++ UTF-8(value)) in the internal state; returns it. */
  #mac(value: string, prefix: Uint8Array | undefined): Int32Array {
    const p = prefix?.length ?? 0;
    if (prefix !== undefined) {
      if (this.#buf.length < p + 72) this.#buf = new Uint8Array((p + 72) * 2);
      this.#buf.set(prefix);
    }
    const len = this.#encode(value, p);
    const buf = this.#buf;
    const st = this.#state;
    const w = this.#w;
    // Inner hash: the ipad block is already in #inner, so the message starts at byte 64.
    st.set(this.#inner);
    let tail = 0;
    if (len > 55) {
      // Long values: whole blocks in place, then the tail moves to the front for padding.
      const full = len & ~63;
      for (let off = 0; off < full; off += 64) compress(st, w, buf, off);
      tail = len - full;
      buf.copyWithin(0, full, len);
      buf[tail++] = 0x80;
      if (tail > 56) {
        for (let i = tail; i < 64; i++) buf[i] = 0;
        compress(st, w, buf, 0);
        tail = 0;
      }
    } else {
      buf[len] = 0x80;
      tail = len + 1;
    }
    for (let i = tail; i < 56; i++) buf[i] = 0;
    writeBitLength(buf, 56, 64 + len);
    compress(st, w, buf, 0);
    // Outer hash: opad midstate, then the 32-byte inner digest in one padded block.
    const block = this.#block;
    for (let i = 0; i < 8; i++) {
      const x = st[i]!;
      block[i * 4] = x >>> 24;
      block[i * 4 + 1] = x >>> 16;
      block[i * 4 + 2] = x >>> 8;
      block[i * 4 + 3] = x;
    }
    // Bytes 32..63 (0x80, zeros, the bit length 768) never change: set once in the constructor.
    st.set(this.#outer);
    compress(st, w, block, 0);
    return st;
  }

  /** The first 32 bits of the MAC, big-endian, as an unsigned number. */
  firstUint32(value: string, prefix?: Uint8Array): number {
    return this.#mac(value, prefix)[0]! >>> 0;
  }

  /** The MAC as lower-case hex, cut to `length` characters (at most 64). */
  hex(value: string, length = 64, prefix?: Uint8Array): string {
    const st = this.#mac(value, prefix);
    let out = '';
    const bytes = Math.min(32, (length + 1) >> 1);
    for (let i = 0; i < bytes; i++) out += HEX[(st[i >> 2]! >>> (24 - (i & 3) * 8)) & 0xff]!;
    return out.length > length ? out.slice(0, length) : out;
  }

  /** The full 32-byte MAC (allocates; for tests and rare callers). */
  digest(value: string, prefix?: Uint8Array): Buffer {
    const st = this.#mac(value, prefix);
    const out = Buffer.alloc(32);
    for (let i = 0; i < 8; i++) out.writeInt32BE(st[i]!, i * 4);
    return out;
  }
}

/** The message length in bits (key block included), as the 64-bit big-endian SHA-256 trailer. */
function writeBitLength(buf: Uint8Array, at: number, bytes: number): void {
  const hi = Math.floor(bytes / 0x20000000);
  const lo = (bytes * 8) >>> 0;
  buf[at] = 0;
  buf[at + 1] = 0;
  buf[at + 2] = 0;
  buf[at + 3] = hi;
  buf[at + 4] = lo >>> 24;
  buf[at + 5] = lo >>> 16;
  buf[at + 6] = lo >>> 8;
  buf[at + 7] = lo;
}
