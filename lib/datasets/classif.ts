// Classification toy data (POT: ot.datasets.make_data_classif): '3gauss', '3gauss2', 'gaussrot',
// '2gauss_prop', drawn from numpy's RandomState in POT's order so a seed gives POT's very samples.
import { Tensor } from '../tensor/tensor.js';
import { checkFiniteNumber, checkInteger, checkOneOf, checkOptions, checkPositive, fail } from '../core/validate.js';
import { gaussSamples } from './gauss.js';
import { randomState, type RandomState, type SeedInput } from './numpy-random.js';

export type ClassifDataset = '3gauss' | '3gauss2' | 'gaussrot' | '2gauss_prop';
const DATASETS: readonly ClassifDataset[] = ['3gauss', '3gauss2', 'gaussrot', '2gauss_prop'];

export interface MakeDataClassifOptions {
  /** Noise level, > 0 (default 0.5). For 'gaussrot' it is the variance of each Gaussian. */
  nz?: number;
  /** Rotation angle of 'gaussrot' in radians (default 0). */
  theta?: number;
  /** Proportion of class 1 in '2gauss_prop' (default 0.5). */
  p?: number;
  /** Offset [bx, by] added to '2gauss_prop' samples (default [0, 2]). */
  bias?: readonly [number, number];
  /** Integer seed of numpy's RandomState (or a RandomState to draw from); default: the global stream. */
  seed?: SeedInput;
}

export interface ClassifData {
  /** Samples, float64 [n, 2]. */
  X: Tensor;
  /** Labels: 1..3 for the 3-class sets, 1..2 for 'gaussrot', 1/0 for '2gauss_prop'. */
  y: Int32Array;
}

/**
 * Samples and labels of a toy classification problem, POT's make_data_classif.
 * @example
 * const { X, y } = ot.datasets.makeDataClassif('gaussrot', 100, { nz: 0.1, theta: Math.PI / 10, seed: 0 });
 */
export function makeDataClassif(dataset: ClassifDataset, n: number, opts: MakeDataClassifOptions = {}): ClassifData {
  const fn = 'makeDataClassif';
  checkOptions(fn, opts, ['nz', 'theta', 'p', 'bias', 'seed']);
  const name = checkOneOf(fn, 'dataset', typeof dataset === 'string' ? dataset.toLowerCase() : dataset, DATASETS);
  checkInteger(fn, 'n', n, 0, 2 ** 31 - 1);
  const nz = checkPositive(fn, 'nz', opts.nz ?? 0.5);
  const theta = checkFiniteNumber(fn, 'theta', opts.theta ?? 0);
  const p = checkFiniteNumber(fn, 'p', opts.p ?? 0.5);
  if (p < 0 || p > 1) fail('ERR_OT_VALUE', `${fn}: p must be in [0, 1], got ${p}`);
  const bias = opts.bias ?? [0, 2];
  if (!Array.isArray(bias) || bias.length !== 2) fail('ERR_OT_SHAPE', `${fn}: bias must be a pair [bx, by]`);
  bias.forEach((b, i) => checkFiniteNumber(fn, `bias[${i}]`, b));
  const rs = randomState(fn, opts.seed);
  switch (name) {
    case '3gauss': return threeGauss(n, nz, rs, 1, 1.5, 2);
    case '3gauss2': return threeGauss(n, nz, rs, 2, 1, 2);
    case 'gaussrot': return gaussRot(n, nz, theta, rs);
    case '2gauss_prop': return twoGaussProp(n, nz, p, bias, rs);
  }
}

/** Labels 1..k by position: floor(i/n·k) + 1 (numpy's floor(arange(n)*1.0/n*k) + 1). */
function blockLabels(n: number, k: number): Int32Array {
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.floor((i / n) * k) + 1;
  return y;
}

// Classes at (−s,−s), (−s,s), (s,0); classes 1–2 get noise a·nz, class 3 b·nz, drawn in that order.
function threeGauss(n: number, nz: number, rs: RandomState, s: number, a: number, b: number): ClassifData {
  const y = blockLabels(n, 3);
  const x = new Float64Array(2 * n);
  const centre: Record<number, [number, number]> = { 1: [-s, -s], 2: [-s, s], 3: [s, 0] };
  for (let i = 0; i < n; i++) [x[2 * i], x[2 * i + 1]] = centre[y[i]!]!;
  const addNoise = (pick: (c: number) => boolean, scale: number): void => {
    const rows = [...y.keys()].filter((i) => pick(y[i]!));
    const g = rs.randn(2 * rows.length);
    rows.forEach((i, r) => {
      x[2 * i] = x[2 * i]! + scale * g[2 * r]!;
      x[2 * i + 1] = x[2 * i + 1]! + scale * g[2 * r + 1]!;
    });
  };
  addNoise((c) => c !== 3, a * nz);
  addNoise((c) => c === 3, b * nz);
  return { X: new Tensor(x, [n, 2]), y };
}

// Two Gaussians of variance nz around (−1, 1) and (1, −1), then every sample rotated by theta.
function gaussRot(n: number, nz: number, theta: number, rs: RandomState): ClassifData {
  const y = blockLabels(n, 2);
  const n1 = y.filter((c) => c === 1).length;
  const n2 = n - n1;
  const x = new Float64Array(2 * n);
  x.set(gaussSamples('makeDataClassif', n1, [-1, 1], nz, rs.randn(2 * n1)), 0);
  x.set(gaussSamples('makeDataClassif', n2, [1, -1], nz, rs.randn(2 * n2)), 2 * n1);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  // numpy: x.dot([[c, s], [−s, c]])
  for (let i = 0; i < n; i++) {
    const x0 = x[2 * i]!;
    const x1 = x[2 * i + 1]!;
    x[2 * i] = x0 * c + x1 * -s;
    x[2 * i + 1] = x0 * s + x1 * c;
  }
  return { X: new Tensor(x, [n, 2]), y };
}

// int(p·n) samples of class 1 at (0, −1) then int((1−p)·n) of class 0 at (0, 1), plus nz noise and bias.
function twoGaussProp(n: number, nz: number, p: number, bias: readonly number[], rs: RandomState): ClassifData {
  const n1 = Math.trunc(p * n);
  const n0 = Math.trunc((1 - p) * n);
  const len = n1 + n0;
  const y = new Int32Array(len);
  y.fill(1, 0, n1);
  const g = rs.randn(2 * len);
  const x = new Float64Array(2 * len);
  for (let i = 0; i < len; i++) {
    x[2 * i] = 0 * y[i]! - 0 + nz * g[2 * i]! + bias[0]!;
    x[2 * i + 1] = 1 - 2 * y[i]! + nz * g[2 * i + 1]! + bias[1]!;
  }
  return { X: new Tensor(x, [len, 2]), y };
}
