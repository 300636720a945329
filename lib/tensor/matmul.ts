// Matrix product behind Tensor.matmul (torch.matmul for 1-d and 2-d operands): the native blocked,
// multi-threaded kernel (native/cpu/matmul.cc); the backward (dA = G Bᵀ, dB = Aᵀ G) uses the same
// kernel's transpose flags, so no transposed copy is made. cuda tensors multiply their host copies.
import { withCancelFlag } from '../core/cancel.js';
import { fail } from '../core/validate.js';
import { nativeMatmul, type MatmulOptions } from '../backend/native-matmul.js';
import type { FloatArray } from './dtype.js';
import { Tensor } from './tensor.js';

/** The operands checked, as [n, k] x [k, m], and the result's shape (torch drops the dims of 1-d operands). */
interface Plan {
  a: Tensor;
  b: Tensor;
  n: number;
  k: number;
  m: number;
  shape: number[];
}

function plan(fn: string, a: Tensor, b: unknown): Plan {
  if (!(b instanceof Tensor)) return fail('ERR_OT_ARG', `${fn}: other must be a Tensor, got ${b === null ? 'null' : typeof b}`);
  if (a.ndim < 1 || a.ndim > 2 || b.ndim < 1 || b.ndim > 2) {
    fail('ERR_OT_SHAPE', `${fn}: operands must be 1-d or 2-d, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  if (a.dtype !== b.dtype) fail('ERR_OT_DTYPE', `${fn}: operands must share a dtype, got ${a.dtype} and ${b.dtype}`);
  if (a.device !== b.device) fail('ERR_OT_DEVICE', `${fn}: operands must be on one device, got ${a.device} and ${b.device}`);
  const n = a.ndim === 2 ? a.shape[0]! : 1;
  const k = a.shape[a.ndim - 1]!;
  const m = b.ndim === 2 ? b.shape[1]! : 1;
  if (b.shape[0] !== k) fail('ERR_OT_SHAPE', `${fn}: inner dimensions differ: [${a.shape.join(', ')}] x [${b.shape.join(', ')}]`);
  const shape: number[] = [];
  if (a.ndim === 2) shape.push(n);
  if (b.ndim === 2) shape.push(m);
  return { a, b, n, k, m, shape };
}

function product(a: FloatArray, b: FloatArray, n: number, k: number, m: number, transA: boolean, transB: boolean): FloatArray {
  return nativeMatmul.matmul({ a, b, n, k, m, transA, transB });
}

function output(p: Plan, values: FloatArray): Tensor {
  const { a, b, n, k, m } = p;
  return Tensor.fromOp(values, p.shape, {
    name: 'matmul', inputs: [a, b],
    backward: (g) => [
      // G [n, m] (in the result's shape: its values are the [n, m] product's)
      a.requiresGrad ? new Tensor(product(g.data, b.data, n, m, k, false, true), a.shape, { device: a.device }) : null,
      b.requiresGrad ? new Tensor(product(a.data, g.data, k, n, m, true, false), b.shape, { device: b.device }) : null,
    ],
  }, a.device);
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  const p = plan('matmul', a, b);
  return output(p, product(p.a.data, p.b.data, p.n, p.k, p.m, false, false));
}

/** {@link matmul} on a worker thread; the signal aborts it between row blocks (ERR_OT_ABORTED). */
export async function matmulAsync(a: Tensor, b: Tensor, signal?: AbortSignal): Promise<Tensor> {
  const p = plan('matmulAsync', a, b);
  const o: MatmulOptions = { a: p.a.data, b: p.b.data, n: p.n, k: p.k, m: p.m, transA: false, transB: false };
  return output(p, await withCancelFlag('matmulAsync', signal, (cancel) => nativeMatmul.matmulAsync({ ...o, cancel })));
}
