// Gaussian toy data (POT: ot.datasets.make_1D_gauss, make_2D_samples_gauss).
import { Tensor } from '../tensor/tensor.js';
import { checkFiniteNumber, checkInteger, checkOptions, checkPositive, fail } from '../core/validate.js';
import { randomState, type SeedInput } from './numpy-random.js';

/**
 * A normalised 1-d histogram of a Gaussian on n bins 0..n−1 with mean m and standard deviation s
 * (float64 Tensor [n] summing to 1).
 * @example const a = ot.datasets.make1DGauss(100, 20, 5);
 */
export function make1DGauss(n: number, m: number, s: number): Tensor {
  checkInteger('make1DGauss', 'n', n, 1, 2 ** 31 - 1);
  checkFiniteNumber('make1DGauss', 'm', m);
  checkPositive('make1DGauss', 's', s);
  const h = new Float64Array(n);
  const twoS2 = 2 * (s * s);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const dx = i - m;
    h[i] = Math.exp(-(dx * dx) / twoS2);
    total += h[i]!;
  }
  if (!(total > 0)) fail('ERR_OT_VALUE', `make1DGauss: the Gaussian (m=${m}, s=${s}) underflows to 0 on every bin`);
  for (let i = 0; i < n; i++) h[i]! /= total;
  return new Tensor(h, [n]);
}

/** Matrix square root of a symmetric positive semi-definite 2×2 matrix (scipy.linalg.sqrtm there). */
function sqrtm2(fn: string, S: readonly (readonly number[])[]): [number, number, number, number] {
  const [a, b, c, d] = [S[0]![0]!, S[0]![1]!, S[1]![0]!, S[1]![1]!];
  const det = a * d - b * c;
  if (b !== c || a < 0 || d < 0 || det < 0) fail('ERR_OT_VALUE', `${fn}: sigma must be a symmetric positive semi-definite 2x2 matrix`);
  const sd = Math.sqrt(det);
  const t = Math.sqrt(a + d + 2 * sd);
  if (t === 0) return [0, 0, 0, 0];
  return [(a + sd) / t, b / t, c / t, (d + sd) / t];
}

export interface Make2DSamplesGaussOptions {
  /** Integer seed of numpy's RandomState (or a RandomState to draw from); default: the global stream. */
  seed?: SeedInput;
}

/**
 * n samples of the 2-d Gaussian N(m, sigma): sigma is a variance (number, isotropic) or a 2×2
 * covariance matrix. Draws like POT (numpy randn, then ·sqrtm(sigma) + m). Float64 Tensor [n, 2].
 * @example const X = ot.datasets.make2DSamplesGauss(50, [0, 0], [[1, 0.5], [0.5, 1]], { seed: 0 });
 */
export function make2DSamplesGauss(n: number, m: number | readonly number[], sigma: number | readonly (readonly number[])[],
  opts: Make2DSamplesGaussOptions = {}): Tensor {
  const fn = 'make2DSamplesGauss';
  checkOptions(fn, opts, ['seed']);
  checkInteger(fn, 'n', n, 0, 2 ** 31 - 1);
  const mean = typeof m === 'number' ? [m, m] : m;
  if (!Array.isArray(mean) || mean.length !== 2) fail('ERR_OT_SHAPE', `${fn}: m must be a number or a pair [mx, my]`);
  mean.forEach((v, i) => checkFiniteNumber(fn, `m[${i}]`, v));
  const rs = randomState(fn, opts.seed);
  return new Tensor(gaussSamples(fn, n, mean as number[], sigma, rs.randn(2 * n)), [n, 2]);
}

/** POT's transform of standard normals g [n×2] to N(mean, sigma) (the draws are done by the caller). */
export function gaussSamples(fn: string, n: number, mean: readonly number[], sigma: number | readonly (readonly number[])[],
  g: Float64Array): Float64Array {
  const out = new Float64Array(2 * n);
  if (typeof sigma === 'number') {
    if (!(sigma >= 0) || !Number.isFinite(sigma)) fail('ERR_OT_VALUE', `${fn}: sigma must be a finite variance >= 0, got ${sigma}`);
    const sd = Math.sqrt(sigma);
    for (let i = 0; i < n; i++) {
      out[2 * i] = g[2 * i]! * sd + mean[0]!;
      out[2 * i + 1] = g[2 * i + 1]! * sd + mean[1]!;
    }
    return out;
  }
  if (!Array.isArray(sigma) || sigma.length !== 2 || !sigma.every((r) => Array.isArray(r) && r.length === 2)) {
    fail('ERR_OT_SHAPE', `${fn}: sigma must be a number or a 2x2 matrix`);
  }
  sigma.flat().forEach((v, i) => checkFiniteNumber(fn, `sigma entry ${i}`, v));
  const [p00, p01, p10, p11] = sqrtm2(fn, sigma);
  for (let i = 0; i < n; i++) {
    const x0 = g[2 * i]!;
    const x1 = g[2 * i + 1]!;
    out[2 * i] = x0 * p00 + x1 * p10 + mean[0]!;
    out[2 * i + 1] = x0 * p01 + x1 * p11 + mean[1]!;
  }
  return out;
}
