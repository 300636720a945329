// Base of the optimisers (torch.optim.Optimizer): the checked parameter list, zeroGrad, and the
// per-parameter loop that hands each gradient to the update rule.
import { Tensor } from '../tensor/tensor.js';
import type { FloatArray } from '../tensor/dtype.js';
import { fail, show } from '../core/validate.js';

export abstract class Optimizer {
  /** The tensors this optimiser updates in place (their `.data`; cuda ones are re-uploaded on next use). */
  readonly params: readonly Tensor[];

  protected constructor(fn: string, params: readonly Tensor[]) {
    if (!Array.isArray(params) || params.length === 0) fail('ERR_OT_ARG', `${fn}: params must be a non-empty array of Tensors`);
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) fail('ERR_OT_ARG', `${fn}: params[${i}] is not a Tensor`);
      if (!p.isLeaf) fail('ERR_OT_ARG', `${fn}: params[${i}] is not a leaf tensor (optimise the tensor you created, not a result)`);
      if (seen.has(p)) fail('ERR_OT_ARG', `${fn}: params[${i}] appears more than once`);
      seen.add(p);
    });
    this.params = Object.freeze([...params]);
  }

  /**
   * Applies one update to every parameter that has a gradient (those with grad === null are skipped).
   * Current behaviour for cuda parameters: the update runs on their host copies (the gradient is
   * copied back) and the new values are uploaded when a GPU kernel next reads them.
   */
  step(): void {
    // Every gradient is checked before any parameter moves, so a refused step changes nothing.
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k]!;
      if (p.grad === null) continue;
      // .grad may have been assigned by hand: a wrong size would read past it (NaN) or update a part.
      if (p.grad.data.length !== p.data.length) {
        fail('ERR_OT_SHAPE', `step: params[${k}].grad has ${p.grad.data.length} values but the parameter has ${p.data.length}`);
      }
      // torch applies a NaN or infinite gradient and leaves NaN parameters for good (Adam's moments
      // carry it into every later step); here the step is refused and the parameters keep their values.
      const bad = firstNonFinite(p.grad.data);
      if (bad >= 0) {
        const v = p.grad.data[bad]!;
        fail(
          'ERR_OT_VALUE',
          `step: params[${k}].grad is not finite (entry ${bad} is ${v}): no parameter was updated; ` +
            'an infinite or NaN loss or gradient usually means the inputs overflowed',
        );
      }
    }
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k]!;
      if (p.grad === null) continue;
      this.update(k, p.data, p.grad.data);
      p.hostWritten();
    }
  }

  /**
   * Clears the gradients: to null by default (torch's set_to_none=True), or to zeros.
   * @example opt.zeroGrad();
   */
  zeroGrad(setToNone = true): void {
    for (const p of this.params) {
      if (p.grad === null) continue;
      if (setToNone) p.grad = null;
      else {
        p.grad.data.fill(0);
        p.grad.hostWritten();
      }
    }
  }

  /** The update rule for parameter k (values x, gradient g), in place on x. */
  protected abstract update(k: number, x: FloatArray, g: FloatArray): void;
}

/** A hyper-parameter that must be a finite number in [lo, hi) (or [lo, hi] when closed). */
export function checkRange(fn: string, name: string, v: unknown, lo: number, hi: number, closed = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (closed ? v > hi : v >= hi)) {
    fail('ERR_OT_VALUE', `${fn}: ${name} must be a finite number in [${lo}, ${hi}${closed ? ']' : ')'}, got ${show(v)}`);
  }
  return v;
}

export function checkFlag(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail('ERR_OT_ARG', `${fn}: ${name} must be a boolean, got ${typeof v}`);
  return v;
}

/** Index of the first NaN or +-Infinity in `a`, or -1 (x - x is 0 exactly for finite x). */
function firstNonFinite(a: FloatArray): number {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += a[i]! - a[i]!;
  if (acc === 0) return -1;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}
