// Base of the optimisers (torch.optim.Optimizer): the checked parameter list, zeroGrad, and step,
// which hands every parameter with a gradient to the native update rule in one call.
import { Tensor } from '../tensor/tensor.js';
import type { FloatArray } from '../tensor/dtype.js';
import { fail, firstNonFinite, show } from '../core/validate.js';
import { nativeDual } from '../backend/native-dual.js';

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
    this.counts = this.params.map(() => 0);
    this.stepScratch = new Float64Array(this.params.length);
  }

  /**
   * Applies one update to every parameter that has a gradient (those with grad === null are skipped),
   * all of them in one native call (native/common/optim.cc, shared with the native dual ascent).
   * Current behaviour for cuda parameters: the update runs on their host copies (the gradient is
   * copied back) and the new values are uploaded when a GPU kernel next reads them.
   */
  step(): void {
    const { params, tensors, counts } = this;
    // Every gradient is checked before any state changes, so a refused step changes nothing.
    for (let k = 0; k < params.length; k++) {
      const p = params[k]!;
      if (p.grad === null) continue;
      // .grad may have been assigned by hand: a wrong size would read past it or update a part.
      if (p.grad.numel !== p.numel) {
        fail('ERR_OT_SHAPE', `step: params[${k}].grad has ${p.grad.numel} values but the parameter has ${p.numel}`);
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
    let c = 0;
    for (let k = 0; k < params.length; k++) {
      const p = params[k]!;
      const grad = p.grad;
      if (grad === null) continue;
      const x = p.data;
      const g = grad.data;
      const st = this.stateOf(k, x);
      tensors[5 * c] = x;
      tensors[5 * c + 1] = g;
      tensors[5 * c + 2] = st[0];
      tensors[5 * c + 3] = st[1];
      tensors[5 * c + 4] = st[2];
      counts[k] = counts[k]! + 1;
      this.stepScratch[c] = counts[k]!;
      c++;
    }
    if (c === 0) return;
    tensors.length = 5 * c;
    const steps = c === params.length ? this.stepScratch : this.stepScratch.subarray(0, c);
    nativeDual.optimStep({ rule: this.rule, hyper: this.hyper, tensors, steps });
    for (let k = 0; k < params.length; k++) if (params[k]!.grad !== null) params[k]!.hostWritten();
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

  /** The native update rule. */
  protected abstract readonly rule: 'adam' | 'sgd';
  /** The rule's hyper-parameters as native/napi/optim.cc reads them. */
  protected abstract readonly hyper: Float64Array;
  /** Parameter k's state arrays (made on first use, in the parameter's dtype), null where the rule keeps none. */
  protected abstract stateOf(k: number, x: FloatArray): readonly [FloatArray | null, FloatArray | null, FloatArray | null];

  /** Updates made to each parameter (torch's per-parameter `step`). */
  protected readonly counts: number[];
  private readonly tensors: (FloatArray | null)[] = [];
  private readonly stepScratch: Float64Array;
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
