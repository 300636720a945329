// The Gaussian (Bures-Wasserstein) closed form of ot.solveSample's method 'gaussian' (POT:
// empirical_bures_wasserstein_distance): W² = |mA − mB|² + tr A + tr B − 2 tr (A^½ B A^½)^½ between the
// weighted means and covariances (+ reg·I) of the two clouds, with its exact gradient w.r.t. the points.
// d × d matrices only (symmetric eigendecompositions by Jacobi rotations), O(n d²) over the points.
import { Tensor } from '../tensor/tensor.js';
import { allocate } from '../tensor/dtype.js';
import type { GradFn } from '../tensor/autograd.js';

type Mat = Float64Array; // d × d row-major

/** Eigenvalues and eigenvectors (columns of V) of a symmetric matrix, by cyclic Jacobi rotations. */
function symEig(S: Mat, d: number): { w: Float64Array; V: Mat } {
  const A = Float64Array.from(S), V = new Float64Array(d * d);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += A[p * d + q]! ** 2;
    if (off < 1e-300) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = A[p * d + q]!;
        if (apq === 0) continue;
        const theta = (A[q * d + q]! - A[p * d + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = A[k * d + p]!, akq = A[k * d + q]!;
          A[k * d + p] = c * akp - s * akq;
          A[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = A[p * d + k]!, aqk = A[q * d + k]!;
          A[p * d + k] = c * apk - s * aqk;
          A[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = V[k * d + p]!, vkq = V[k * d + q]!;
          V[k * d + p] = c * vkp - s * vkq;
          V[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const w = new Float64Array(d);
  for (let i = 0; i < d; i++) w[i] = A[i * d + i]!;
  return { w, V };
}

/** V f(Λ) Vᵀ of a symmetric matrix (eigenvalues clipped at 0: covariances are positive semi-definite). */
function symFn(S: Mat, d: number, f: (x: number) => number): Mat {
  const { w, V } = symEig(S, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const fk = f(Math.max(w[k]!, 0));
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j]! += V[i * d + k]! * fk * V[j * d + k]!;
  }
  return out;
}

function matmul(A: Mat, B: Mat, d: number): Mat {
  const C = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) for (let j = 0; j < d; j++) C[i * d + j]! += A[i * d + k]! * B[k * d + j]!;
  return C;
}

function trace(A: Mat, d: number): number {
  let t = 0;
  for (let i = 0; i < d; i++) t += A[i * d + i]!;
  return t;
}

interface Moments {
  mean: Float64Array;
  cov: Mat;
  w: Float64Array;
  total: number;
}

/** Weighted mean and covariance (+ reg·I), POT's biased estimate. */
function moments(x: ArrayLike<number>, n: number, d: number, w: Float64Array, reg: number): Moments {
  let total = 0;
  for (let i = 0; i < n; i++) total += w[i]!;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k]! += (w[i]! * x[i * d + k]!) / total;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      const dk = x[i * d + k]! - mean[k]!;
      for (let l = 0; l < d; l++) cov[k * d + l]! += (w[i]! * dk * (x[i * d + l]! - mean[l]!)) / total;
    }
  }
  for (let k = 0; k < d; k++) cov[k * d + k]! += reg;
  return { mean, cov, w, total };
}

/** d/dx_i of mean and covariance terms: (2 w_i / W) (s·Δm + G (x_i − m)). */
function pointGrad(x: ArrayLike<number>, n: number, d: number, mo: Moments, dm: Float64Array, sign: number, G: Mat, scale: number, out: Float64Array | Float32Array): void {
  for (let i = 0; i < n; i++) {
    const c = (2 * mo.w[i]!) / mo.total;
    for (let k = 0; k < d; k++) {
      let g = sign * dm[k]!;
      for (let l = 0; l < d; l++) g += G[k * d + l]! * (x[i * d + l]! - mo.mean[l]!);
      out[i * d + k] = scale * c * g;
    }
  }
}

/**
 * Squared Bures-Wasserstein distance between the Gaussians fitted to xA [n, d] (weights wA) and
 * xB [m, d] (weights wB), a scalar tensor in xA's dtype, differentiable w.r.t. xA and xB.
 */
export function buresWasserstein(xA: Tensor, xB: Tensor, wA: Float64Array, wB: Float64Array, reg: number): Tensor {
  const [n, d] = xA.shape as [number, number];
  const m = xB.shape[0]!;
  const A = moments(xA.data, n, d, wA, reg), B = moments(xB.data, m, d, wB, reg);
  const dm = new Float64Array(d);
  let meanTerm = 0;
  for (let k = 0; k < d; k++) {
    dm[k] = A.mean[k]! - B.mean[k]!;
    meanTerm += dm[k]! ** 2;
  }
  const Ah = symFn(A.cov, d, Math.sqrt);
  const inner = symFn(matmul(matmul(Ah, B.cov, d), Ah, d), d, Math.sqrt);
  const value = meanTerm + trace(A.cov, d) + trace(B.cov, d) - 2 * trace(inner, d);
  const out = allocate(xA.dtype, 1);
  out[0] = value;
  const gradFn: GradFn = {
    name: 'buresWasserstein',
    inputs: [xA, xB],
    backward: (g: Tensor) => {
      const s = g.data[0]!;
      // dV/dA = I − T with T = A^-½ (A^½ B A^½)^½ A^-½ the Gaussian OT map; dV/dB = I − T⁻¹.
      const Aih = symFn(A.cov, d, (v) => 1 / Math.sqrt(v));
      const T = matmul(matmul(Aih, inner, d), Aih, d);
      const Ti = symFn(T, d, (v) => 1 / v);
      const GA = new Float64Array(d * d), GB = new Float64Array(d * d);
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          const id = i === j ? 1 : 0;
          GA[i * d + j] = id - (T[i * d + j]! + T[j * d + i]!) / 2;
          GB[i * d + j] = id - (Ti[i * d + j]! + Ti[j * d + i]!) / 2;
        }
      }
      const gA = allocate(xA.dtype, n * d), gB = allocate(xB.dtype, m * d);
      pointGrad(xA.data, n, d, A, dm, 1, GA, s, gA);
      pointGrad(xB.data, m, d, B, dm, -1, GB, s, gB);
      return [new Tensor(gA, xA.shape), new Tensor(gB, xB.shape)];
    },
  };
  return Tensor.fromOp(out, [], gradFn);
}
