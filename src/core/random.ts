import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 8 * 1024;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/**
 * `n` fresh bytes from the system CSPRNG, drawn from a pool refilled 8 KiB at a time: a call
 * into the generator per nonce or id costs more than the encryption it serves. The bytes are
 * copied out, so a later refill never changes what a caller holds.
 */
export function randomBytesPooled(n: number): Buffer {
  if (n > POOL_BYTES) return randomFillSync(Buffer.allocUnsafe(n));
  if (offset + n > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + n));
  // Spent bytes are wiped: a heap dump never shows a nonce or id before it is used.
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}
