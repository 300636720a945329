// The gradient of exact OT values (POT: ot.emd2, whose cost carries set_gradients): for each of B
// problems, d value/dM = plan, d value/da = u - mean(u), d value/db = v - mean(v) with (u, v) the
// centred duals. Shared by ot.solve's exact method, ot.emd2 and ot.batch.solveBatch without reg.
import type { Device } from '../core/vocabulary.js';
import { allocate, type FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/** What the backward of B exact values reads (host arrays; M's shape is [n, m] or [B, n, m]). */
export interface ExactParts {
  device: Device;
  M: Tensor;
  /** The weight tensors the gradients go to (null: uniform weights made by the library). */
  a: Tensor | null;
  b: Tensor | null;
  /** Null only when M needs no gradient (the plan was not made); a function: the plans, built when first needed. */
  plan: FloatArray | (() => FloatArray) | null;
  u: FloatArray;
  v: FloatArray;
  B: number;
  n: number;
  m: number;
}

/** g_k · (x_k - mean x_k) for each problem's block of `len` entries, in `like`'s dtype and shape. */
function centred(x: FloatArray, g: FloatArray, B: number, len: number, like: Tensor, device: Device): Tensor {
  const out = allocate(like.dtype, B * len);
  for (let k = 0; k < B; k++) {
    let mean = 0;
    for (let i = 0; i < len; i++) mean += x[k * len + i]!;
    mean /= len;
    for (let i = 0; i < len; i++) out[k * len + i] = g[k]! * (x[k * len + i]! - mean);
  }
  return new Tensor(out, like.shape, { device });
}

/** plan scaled per problem by g_k, in M's dtype and shape. */
function scaledPlans(p: ExactParts, g: FloatArray): Tensor {
  const nm = p.n * p.m;
  const plan = typeof p.plan === 'function' ? p.plan() : p.plan!;
  const out = allocate(p.M.dtype, p.B * nm);
  for (let k = 0; k < p.B; k++) {
    const gk = g[k]!;
    for (let i = k * nm; i < (k + 1) * nm; i++) out[i] = gk * plan[i]!;
  }
  return new Tensor(out, p.M.shape, { device: p.device });
}

/**
 * The values [B] (shape [] when `shape` is []) as a tensor whose backward is POT's emd2 gradient;
 * with `detach` (grad 'detach') a plain tensor.
 */
export function exactValue(name: string, values: FloatArray, shape: readonly number[], p: ExactParts, detach: boolean): Tensor {
  const on = { device: p.device };
  if (detach) return new Tensor(values, shape, on);
  return Tensor.fromOp(values, shape, {
    name,
    inputs: [p.M, p.a, p.b],
    backward: (gOut) => {
      const g = gOut.data;
      return [
        p.M.requiresGrad && p.plan !== null ? scaledPlans(p, g) : null,
        p.a?.requiresGrad ? centred(p.u, g, p.B, p.n, p.a, p.device) : null,
        p.b?.requiresGrad ? centred(p.v, g, p.B, p.m, p.b, p.device) : null,
      ];
    },
  }, p.device);
}
