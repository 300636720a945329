// The measures of a batch job ({ id?, x, w? }), checked once and stored flat in the job's dtype, so the
// local runner, the CLI and the Redis workers all solve from the same numbers.
import { fail, show } from '../core/validate.js';
import type { DType, FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/** One input measure: points x [n, d] (a Tensor or nested array) and optional weights w [n] (default uniform). */
export interface MeasureInput {
  /** Shown in messages and in the CLI's .jsonl output (default: the measure's index). */
  id?: string;
  /** Support points, [n, d]. */
  x: Tensor | readonly (readonly number[])[];
  /** Non-negative weights [n]; every measure of a job must carry the same total mass. Default 1/n each. */
  w?: Tensor | readonly number[] | Float32Array | Float64Array | null;
}

/** A checked measure: row-major points and weights (null: uniform) in the job's dtype. */
export interface Measure {
  readonly id: string;
  readonly n: number;
  readonly d: number;
  readonly x: FloatArray;
  readonly w: FloatArray | null;
}

function alloc(dtype: DType, len: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(len) : new Float64Array(len);
}

/** The dtype of a job: `dtype` when given, else float32 when every x is a float32 Tensor, else float64. */
export function jobDType(inputs: readonly MeasureInput[], dtype: DType | undefined): DType {
  if (dtype !== undefined) return dtype;
  const all32 = inputs.length > 0 && inputs.every((m) => m?.x instanceof Tensor && m.x.dtype === 'float32');
  return all32 ? 'float32' : 'float64';
}

/** Names a measure or one of its fields in messages: `at('x')` gives "pairwise: measures[3].x" or "a.jsonl line 4: x". */
export type At = (field: string) => string;

/** Checks one measure (`at` names it in messages) and stores it in `dtype`. */
export function toMeasure(at: At, v: unknown, index: number, dtype: DType): Measure {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('ERR_OT_ARG', `${at('')} must be an object { id?, x, w? }, got ${show(v)}`);
  const m = v as MeasureInput;
  for (const key of Object.keys(m)) {
    if (key !== 'id' && key !== 'x' && key !== 'w') fail('ERR_OT_ARG', `${at('')} has an unknown field '${key}' (expected id, x, w)`);
  }
  const id = m.id === undefined || m.id === null ? String(index) : m.id;
  if (typeof id !== 'string') fail('ERR_OT_ARG', `${at('id')} must be a string, got ${show(m.id)}`);
  const { n, d, x } = points(at, m.x, dtype);
  const w = m.w === undefined || m.w === null ? null : weights(at, m.w, n, dtype);
  return { id, n, d, x, w };
}

function points(at: At, v: unknown, dtype: DType): { n: number; d: number; x: FloatArray } {
  if (v instanceof Tensor) {
    if (v.device !== 'cpu') fail('ERR_OT_DEVICE', `${at('x')} must be a CPU tensor, got one on '${v.device}'`);
    if (v.ndim !== 2) fail('ERR_OT_SHAPE', `${at('x')} must be 2-d [n, d], got shape [${v.shape.join(', ')}]`);
    const [n, d] = v.shape as [number, number];
    if (n < 1 || d < 1) fail('ERR_OT_SHAPE', `${at('x')} must have at least one point and one coordinate, got shape [${n}, ${d}]`);
    const x = alloc(dtype, n * d);
    x.set(v.data);
    checkFiniteAt(at, x, d);
    return { n, d, x };
  }
  if (!Array.isArray(v)) fail('ERR_OT_ARG', `${at('x')} must be a Tensor or an array of points [n, d], got ${show(v)}`);
  const rows = v as unknown[];
  if (rows.length === 0) fail('ERR_OT_SHAPE', `${at('x')} has no points`);
  const first = rows[0];
  if (!Array.isArray(first) || first.length === 0) fail('ERR_OT_SHAPE', `${at('x[0]')} must be a non-empty array of coordinates, got ${show(first)}`);
  const n = rows.length;
  const d = first.length;
  const x = alloc(dtype, n * d);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (!Array.isArray(r) || r.length !== d) {
      fail('ERR_OT_SHAPE', `${at('x')} is ragged: point 0 has ${d} coordinates but point ${i} has ${Array.isArray(r) ? r.length : show(r)}`);
    }
    for (let k = 0; k < d; k++) {
      const c = r[k] as unknown;
      if (typeof c !== 'number' || !Number.isFinite(c)) fail('ERR_OT_VALUE', `${at(`x[${i}][${k}]`)} must be a finite number, got ${show(c)}`);
      x[i * d + k] = c;
    }
  }
  return { n, d, x };
}

function weights(at: At, v: unknown, n: number, dtype: DType): FloatArray {
  let data: ArrayLike<unknown>;
  if (v instanceof Tensor) {
    if (v.ndim !== 1) fail('ERR_OT_SHAPE', `${at('w')} must be 1-d [n], got shape [${v.shape.join(', ')}]`);
    data = v.data;
  } else if (Array.isArray(v) || v instanceof Float32Array || v instanceof Float64Array) {
    data = v as ArrayLike<unknown>;
  } else {
    return fail('ERR_OT_ARG', `${at('w')} must be a Tensor or an array of n weights, got ${show(v)}`);
  }
  if (data.length !== n) fail('ERR_OT_SHAPE', `${at('w')} has ${data.length} weights but x has ${n} points`);
  const w = alloc(dtype, n);
  for (let i = 0; i < n; i++) {
    const c = data[i];
    if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) fail('ERR_OT_VALUE', `${at(`w[${i}]`)} must be a finite number >= 0, got ${show(c)}`);
    w[i] = c;
  }
  return w;
}

function checkFiniteAt(at: At, x: FloatArray, d: number): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) fail('ERR_OT_VALUE', `${at(`x[${Math.floor(i / d)}][${i % d}]`)} must be finite, got ${x[i]}`);
  }
}

/** Total mass of a measure (1 for uniform weights). */
export function mass(m: Measure): number {
  if (m.w === null) return 1;
  let s = 0;
  for (let i = 0; i < m.n; i++) s += m.w[i]!;
  return s;
}

/**
 * Checks the measures of one job against each other: one dimension d, positive and equal masses
 * (balanced OT; relative 1e-6 in float64, 1e-4 in float32). `name(k)` names measure k in messages.
 */
export function checkJobMeasures(fn: string, all: readonly Measure[], dtype: DType, name: (k: number) => string): void {
  if (all.length === 0) return;
  const d = all[0]!.d;
  const m0 = mass(all[0]!);
  const rel = dtype === 'float64' ? 1e-6 : 1e-4;
  for (let k = 0; k < all.length; k++) {
    const m = all[k]!;
    if (m.d !== d) fail('ERR_OT_SHAPE', `${fn}: ${name(k)} has points of dimension ${m.d} but ${name(0)} has ${d}`);
    const s = mass(m);
    if (!(s > 0)) fail('ERR_OT_VALUE', `${fn}: ${name(k)} has total weight ${s}; weights must have a positive sum`);
    if (Math.abs(s - m0) > rel * Math.max(s, m0)) {
      fail('ERR_OT_VALUE', `${fn}: ${name(k)} has total weight ${s} but ${name(0)} has ${m0} (balanced OT needs equal masses)`);
    }
  }
}
