// Argument checks shared by solveBatch and distBatch: batched tensors, weights and their masses.
import type { DType, FloatArray } from '../tensor/dtype.js';
import { asTensor } from '../tensor/input.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkFinite, checkNonNegative, fail } from '../core/validate.js';

/**
 * A tensor of rank 3 (or `rank`), with every dimension >= 1 (on either device: callers check that one
 * call's tensors share a device). `values` also checks every entry is finite: off for the large batched
 * inputs, whose entries the native layer checks in one vectorised pass (a JS loop over B·n·m values
 * costs more than a typical solve) with the same ERR_OT_VALUE.
 */
export function batchTensor(fn: string, name: string, vIn: unknown, rank = 3, what = '[B, n, m]', values = true): Tensor {
  const v = asTensor(fn, name, vIn, `a Tensor ${what}`);
  if (v.ndim !== rank) fail('ERR_OT_SHAPE', `${fn}: ${name} must be ${rank}-d ${what}, got shape [${v.shape.join(', ')}]`);
  if (v.shape.some((s) => s < 1)) fail('ERR_OT_SHAPE', `${fn}: ${name} has an empty dimension (shape [${v.shape.join(', ')}])`);
  if (values) checkFinite(fn, name, v.data);
  return v;
}

/** Weights [B, len] converted (differentiably) to `dtype`; null when absent (uniform). */
export function batchWeights(fn: string, name: string, v: unknown, B: number, len: number, dim: string, dtype: DType): Tensor | null {
  if (v === undefined || v === null) return null;
  const t = batchTensor(fn, name, v, 2, `[B, ${dim}]`);
  if (t.shape[0] !== B || t.shape[1] !== len) {
    fail('ERR_OT_SHAPE', `${fn}: ${name} has shape [${t.shape.join(', ')}] but M needs [${B}, ${len}]`);
  }
  checkNonNegative(fn, name, t.data);
  return t.to(dtype);
}

/** Uniform weights 1/len for B problems. */
export function uniformWeights(dtype: DType, B: number, len: number): FloatArray {
  const out = dtype === 'float32' ? new Float32Array(B * len) : new Float64Array(B * len);
  return out.fill(1 / len);
}

/** Balanced OT: per problem, sum(a) and sum(b) positive and equal (relative 1e-6 in float64, 1e-4 in float32). */
export function checkMasses(fn: string, a: FloatArray, b: FloatArray, B: number, n: number, m: number, dtype: DType): void {
  const rel = dtype === 'float64' ? 1e-6 : 1e-4;
  for (let k = 0; k < B; k++) {
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < n; i++) sa += a[k * n + i]!;
    for (let j = 0; j < m; j++) sb += b[k * m + j]!;
    if (!(sa > 0 && sb > 0)) fail('ERR_OT_VALUE', `${fn}: a and b must have positive mass, but problem ${k} has sum(a) = ${sa}, sum(b) = ${sb}`);
    if (Math.abs(sa - sb) > rel * Math.max(sa, sb)) {
      fail('ERR_OT_VALUE', `${fn}: a and b must have the same mass, but problem ${k} has sum(a) = ${sa} and sum(b) = ${sb}`);
    }
  }
}
