// Matrix product behind Tensor.matmul (torch.matmul for 1-d and 2-d operands), in TypeScript: a
// cache-blocked i-k-j loop (contiguous inner loop over rows of B and C). The backward is two more
// products (dA = G Bᵀ, dB = Aᵀ G). Fine for the small matrices of examples and gradients; large
// products are far slower than torch's BLAS (bench/matmul.ts).
import { fail } from '../core/validate.js';
import { allocate, type FloatArray } from './dtype.js';
import { transpose2d } from './layout.js';
import { Tensor } from './tensor.js';

/** C [n, m] = A [n, k] B [k, m], row-major, in A's dtype (float64 accumulation for float64). */
function product(A: FloatArray, B: FloatArray, n: number, k: number, m: number, f64: boolean): FloatArray {
  const C = allocate(f64 ? 'float64' : 'float32', n * m);
  const KB = 64;
  // i-k-j order: the inner loop runs along a row of B and of C (contiguous), blocked over k for cache.
  for (let k0 = 0; k0 < k; k0 += KB) {
    const k1 = Math.min(k, k0 + KB);
    for (let i = 0; i < n; i++) {
      const ci = i * m;
      for (let p = k0; p < k1; p++) {
        const a = A[i * k + p]!;
        if (a === 0) continue;
        const bp = p * m;
        for (let j = 0; j < m; j++) C[ci + j] += a * B[bp + j]!;
      }
    }
  }
  return C;
}

/** The 2-d product with its gradient; shapes already checked. */
function matmul2d(a: Tensor, b: Tensor): Tensor {
  const [n, k] = a.shape as [number, number];
  const m = b.shape[1]!;
  const out = product(a.data, b.data, n, k, m, a.dtype === 'float64');
  return Tensor.fromOp(out, [n, m], {
    name: 'matmul', inputs: [a, b],
    backward: (g) => [
      a.requiresGrad ? matmul2d(g, transpose2d(b.detach())) : null,
      b.requiresGrad ? matmul2d(transpose2d(a.detach()), g) : null,
    ],
  }, a.device);
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(b instanceof Tensor)) fail('ERR_OT_ARG', `matmul: other must be a Tensor, got ${b === null ? 'null' : typeof b}`);
  if (a.ndim < 1 || a.ndim > 2 || b.ndim < 1 || b.ndim > 2) {
    fail('ERR_OT_SHAPE', `matmul: operands must be 1-d or 2-d, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  if (a.dtype !== b.dtype) fail('ERR_OT_DTYPE', `matmul: operands must share a dtype, got ${a.dtype} and ${b.dtype}`);
  if (a.device !== b.device) fail('ERR_OT_DEVICE', `matmul: operands must be on one device, got ${a.device} and ${b.device}`);
  const A = a.ndim === 1 ? a.reshape([1, a.shape[0]!]) : a;
  const B = b.ndim === 1 ? b.reshape([b.shape[0]!, 1]) : b;
  if (A.shape[1] !== B.shape[0]) {
    fail('ERR_OT_SHAPE', `matmul: inner dimensions differ: [${a.shape.join(', ')}] x [${b.shape.join(', ')}]`);
  }
  const C = matmul2d(A, B);
  // torch drops the dims that came from 1-d operands.
  if (a.ndim === 1 && b.ndim === 1) return C.reshape([]);
  if (a.ndim === 1) return C.reshape([B.shape[1]!]);
  if (b.ndim === 1) return C.reshape([A.shape[0]!]);
  return C;
}
