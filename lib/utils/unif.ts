// Uniform histogram (POT: ot.unif).
import { checkOptions, checkInteger } from '../core/validate.js';
import { checkDType, type DType } from '../tensor/dtype.js';
import { full } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The uniform distribution on n points: a tensor of n values 1/n (float64 unless dtype says otherwise).
 * @example const a = ot.unif(300);
 */
export function unif(n: number, opts: { dtype?: DType } = {}): Tensor {
  checkOptions('unif', opts, ['dtype']);
  checkInteger('unif', 'n', n, 1, 2 ** 31 - 1);
  return full([n], 1 / n, { dtype: checkDType('unif', opts.dtype ?? 'float64') });
}
