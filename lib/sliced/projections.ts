// Random directions for the sliced distances (POT: ot.sliced.get_random_projections): numpy's
// RandomState normals [d, k] with unit columns, so an integer seed gives POT's (numpy backend) directions.
import { checkInteger } from '../core/validate.js';
import { randomState, type SeedInput } from '../datasets/numpy-random.js';
import { Tensor } from '../tensor/tensor.js';

/** The largest d · nProjections drawn at once (a typed array's length). */
const MAX_ENTRIES = 2 ** 31 - 1;

/**
 * `nProjections` random unit directions in R^d as the columns of a float64 [d, nProjections] tensor:
 * standard normals (numpy's RandomState stream, C order) divided by their column norms. With an
 * integer seed they equal POT's `get_random_projections(d, n, seed)` on numpy inputs.
 * @example
 * const P = ot.sliced.getRandomProjections(20, 200, 0);   // [20, 200]
 */
export function getRandomProjections(d: number, nProjections: number, seed?: SeedInput, fn = 'getRandomProjections'): Tensor {
  checkInteger(fn, 'd', d, 1, MAX_ENTRIES);
  checkInteger(fn, 'nProjections', nProjections, 1, Math.floor(MAX_ENTRIES / d));
  const P = randomState(fn, seed).randn(d * nProjections);
  const k = nProjections;
  const norm = new Float64Array(k);
  for (let r = 0; r < d; r++) for (let c = 0; c < k; c++) norm[c]! += P[r * k + c]! ** 2;
  for (let c = 0; c < k; c++) norm[c] = Math.sqrt(norm[c]!);
  for (let r = 0; r < d; r++) for (let c = 0; c < k; c++) P[r * k + c]! /= norm[c]!;
  return new Tensor(P, [d, k]);
}
