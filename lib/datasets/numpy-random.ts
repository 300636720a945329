// numpy's legacy RandomState stream (MT19937 with init_genrand seeding, 53-bit doubles, polar
// Box–Muller gauss with a cached second value), so an integer seed reproduces POT's datasets exactly.
import { generatorFor } from '../tensor/random.js';
import { checkInteger, fail } from '../core/validate.js';

const N = 624;
const M = 397;

/**
 * A numpy-compatible random stream: `new RandomState(0).randn(4)` equals
 * `numpy.random.RandomState(0).randn(4)`.
 * @example
 * const rs = new ot.datasets.RandomState(42);
 * const g = rs.randn(10);  // Float64Array of standard normals
 */
export class RandomState {
  private readonly mt = new Uint32Array(N);
  private pos = N;
  private gaussCache = 0;
  private hasGauss = false;

  constructor(seed: number) {
    this.seed(seed);
  }

  /** Re-seeds like numpy's RandomState.seed(int): seed in [0, 2^32 − 1]. */
  seed(seed: number): void {
    checkInteger('RandomState', 'seed', seed, 0, 2 ** 32 - 1);
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.pos = N;
    this.hasGauss = false;
    this.gaussCache = 0;
  }

  /** Next 32-bit output of MT19937. */
  nextUint32(): number {
    if (this.pos >= N) this.twist();
    let y = this.mt[this.pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform double in [0, 1) from two draws, numpy's legacy random_sample: (a>>5, b>>6). */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /** Standard normal, numpy's legacy_gauss (polar method; every second value comes from the cache). */
  gauss(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      const g = this.gaussCache;
      this.gaussCache = 0;
      return g;
    }
    let x1: number, x2: number, r2: number;
    do {
      x1 = 2.0 * this.randomSample() - 1.0;
      x2 = 2.0 * this.randomSample() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * Math.log(r2)) / r2);
    this.gaussCache = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /** `count` standard normals (numpy: randn(*shape) fills in C order). */
  randn(count: number): Float64Array {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = this.gauss();
    return out;
  }

  /** `count` uniforms in [0, 1) (numpy: rand / random_sample). */
  rand(count: number): Float64Array {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = this.randomSample();
    return out;
  }

  /** `count` uniforms in [low, high) (numpy: uniform(low, high, size) = low + (high − low)·u). */
  uniform(low: number, high: number, count: number): Float64Array {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = low + (high - low) * this.randomSample();
    return out;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % N]! & 0x7fffffff);
      mt[i] = (mt[(i + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
    }
    this.pos = 0;
  }
}

/** A seed as POT takes it: an integer, a RandomState (shared, advanced in place), or undefined. */
export type SeedInput = number | RandomState | undefined;

/** numpy's check_random_state: without a seed, a stream seeded from the global one (ot.manualSeed). */
export function randomState(fn: string, seed: SeedInput): RandomState {
  if (seed instanceof RandomState) return seed;
  if (seed === undefined) return new RandomState(generatorFor(undefined).nextUint32());
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) {
    fail('ERR_OT_ARG', `${fn}: seed must be an integer in [0, 2^32 - 1] or a RandomState, got ${String(seed)}`);
  }
  return new RandomState(seed);
}
