import { randomFillSync } from 'node:crypto';

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * A seeded generator (sfc32, 128-bit state) for reproducible noise in tests and demos.
 * Reproducible noise is weaker noise: release data with `cryptoRng` unless runs must repeat.
 */
export function seededRng(seed: number): Rng {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed * 31);
  let c = 0xb7e15162;
  let d = 0x12345678 ^ seed;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

/** A cryptographically secure generator, buffered so that a call costs a few nanoseconds. */
export function cryptoRng(): Rng {
  const buf = new Uint32Array(1024);
  let i = buf.length;
  return () => {
    if (i === buf.length) {
      randomFillSync(buf);
      i = 0;
    }
    return buf[i++]! / 4294967296;
  };
}

/** Laplace(0, scale) by inverse CDF. */
export function laplace(rng: Rng, scale: number): number {
  let u = rng() - 0.5;
  while (u === -0.5) u = rng() - 0.5;
  return -scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
}

/** Gaussian(0, sigma) by Box-Muller. */
export function gaussian(rng: Rng, sigma: number): number {
  let u = rng();
  while (u === 0) u = rng();
  return sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export type NoiseMechanism = 'laplace' | 'gaussian';

/** Adds noise to a number and rounds to `decimals` places (0 keeps integers integers). */
export function addNoise(
  value: number,
  mechanism: NoiseMechanism,
  scale: number,
  rng: Rng,
  decimals = 0,
): number {
  const noisy = value + (mechanism === 'laplace' ? laplace(rng, scale) : gaussian(rng, scale));
  const f = 10 ** decimals;
  return Math.round(noisy * f) / f;
}
