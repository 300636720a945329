// Building blocks of the fuzz properties: hostile values, containers and options drawn from a
// fast-check generator, and the checks every outcome must pass (a well-formed result or an OTError).
import fc from 'fast-check';
import * as ot from '../../lib/index.js';

export type Gen = fc.GeneratorValue;

export const CODES = ['ERR_OT_SHAPE', 'ERR_OT_VALUE', 'ERR_OT_ARG', 'ERR_OT_DTYPE', 'ERR_OT_DEVICE', 'ERR_OT_OOM', 'ERR_OT_ABORTED'] as const;

/** Finite values that stress kernels: signed zero, denormals, the largest magnitudes, huge costs. */
export const EXTREME_FINITE = [-0, 0, 5e-324, 1e-310, 2.2250738585072014e-308, 1e-30, 1e6, 1e30, 1e300, -1e300, 1.7976931348623157e308, -1, 1];
export const NON_FINITE = [NaN, Infinity, -Infinity];

/** How hostile a case's numbers are: 'clean' in [-2, 2], 'extreme' finite outliers, 'wild' anything. */
export type Mode = 'clean' | 'extreme' | 'wild';

// Unbiased draws: fast-check biases its arbitraries towards their bounds and first constants (good
// for values, wrong for probabilities and choices between code paths).
export function uniform(g: Gen, lo: number, hi: number): number {
  return g(() => fc.noBias(fc.integer({ min: lo, max: hi })));
}
export function pick<const T extends readonly unknown[]>(g: Gen, ...xs: T): T[number] {
  return xs[uniform(g, 0, xs.length - 1)];
}
export function chance(g: Gen, p: number): boolean {
  return uniform(g, 0, 9999) < p * 10000;
}

/** Mostly one of `valid`, sometimes (pBad) one of `invalid`. */
export function choice<V, I>(g: Gen, valid: readonly V[], invalid: readonly I[], pBad = 0.05): V | I {
  return invalid.length > 0 && chance(g, pBad) ? pick(g, ...invalid) : pick(g, ...valid);
}

export function mode(g: Gen): Mode {
  return pick(g, 'clean', 'clean', 'extreme', 'wild');
}

export function value(g: Gen, m: Mode, nonNegative = false): number {
  const k = uniform(g, 0, 19);
  let v: number;
  if (m === 'clean' || k < 15) v = g(fc.double, { min: -2, max: 2, noNaN: true });
  else if (m === 'extreme' || k < 18) v = pick(g, ...EXTREME_FINITE);
  else v = pick(g, ...NON_FINITE, ...EXTREME_FINITE);
  return nonNegative && v < 0 ? -v : v;
}

export function values(g: Gen, len: number, m: Mode, nonNegative = false): number[] {
  const out: number[] = new Array(len);
  for (let i = 0; i < len; i++) out[i] = value(g, m, nonNegative);
  return out;
}

/** A size: mostly 1..max, sometimes 0, sometimes large enough for the kernels' tiles and thread splits. */
export function size(g: Gen, max = 6): number {
  const r = uniform(g, 0, 19);
  if (r === 0 || r === 1) return 0;
  if (r === 2) return uniform(g, 0, 2 * max);
  if (r === 3) return uniform(g, 2 * max, 10 * max + 7);
  return uniform(g, 1, max);
}

export type FloatKind = 'f64' | 'f32' | 'sab' | 'offset';
export type BadKind = 'i32' | 'u8' | 'array' | 'object' | 'undefined' | 'null' | 'number' | 'string';

/** Float storage of `vals`: a plain typed array, one over a SharedArrayBuffer, or a subarray at an offset. */
export function floatStorage(kind: FloatKind, vals: readonly number[], f64 = kind !== 'f32'): Float32Array | Float64Array {
  const Ctor = f64 ? Float64Array : Float32Array;
  if (kind === 'sab') {
    const sab = new SharedArrayBuffer(Math.max(1, vals.length) * Ctor.BYTES_PER_ELEMENT) as unknown as ArrayBuffer;
    const a = new Ctor(sab, 0, vals.length);
    a.set(vals);
    return a;
  }
  if (kind === 'offset') {
    const a = new Ctor(vals.length + 3).subarray(3);
    a.set(vals);
    return a;
  }
  return Ctor.from(vals);
}

export function badValue(kind: BadKind, vals: readonly number[]): unknown {
  switch (kind) {
    case 'i32': return Int32Array.from(vals.map((v) => (Number.isFinite(v) ? Math.trunc(v) % 1000 : 0)));
    case 'u8': return new Uint8Array(vals.length);
    case 'array': return [...vals];
    case 'object': return { length: vals.length, 0: vals[0] };
    case 'undefined': return undefined;
    case 'null': return null;
    case 'number': return vals[0] ?? 1;
    case 'string': return 'float64';
  }
}

/** A float typed array of `len` values (usually), or something else a caller might pass instead. */
export function rawArray(g: Gen, len: number, m: Mode, opts: { f64?: boolean; nonNegative?: boolean; badRate?: number } = {}): unknown {
  const vals = values(g, len, m, opts.nonNegative);
  if (chance(g, opts.badRate ?? 0.03)) {
    return badValue(pick(g, 'i32', 'u8', 'array', 'object', 'undefined', 'null', 'number', 'string'), vals);
  }
  const kind = pick(g, 'plain', 'plain', 'plain', 'sab', 'offset');
  const f64 = opts.f64 ?? chance(g, 0.5);
  return floatStorage(kind === 'plain' ? (f64 ? 'f64' : 'f32') : (kind as FloatKind), vals, f64);
}

/** A Tensor of `shape` (usually), or a nested array, a wrong type, or nothing. */
export function tensorArg(g: Gen, shape: readonly number[], m: Mode, opts: { nonNegative?: boolean; badRate?: number; grad?: boolean } = {}): unknown {
  const len = shape.reduce((p, s) => p * s, 1);
  const vals = values(g, len, m, opts.nonNegative);
  if (chance(g, opts.badRate ?? 0.04)) return badValue(pick(g, 'i32', 'array', 'object', 'undefined', 'null', 'number', 'string'), vals);
  const dtype = pick(g, 'float64', 'float32');
  const storage = pick(g, 'plain', 'plain', 'plain', 'plain', 'sab', 'offset');
  const data = floatStorage(storage === 'plain' ? (dtype === 'float64' ? 'f64' : 'f32') : (storage as FloatKind), vals, dtype === 'float64');
  const t = new ot.Tensor(data, shape);
  if (opts.grad ?? chance(g, 0.4)) t.requiresGrad_(true);
  return t;
}

/**
 * An options object: some known keys with good values, sometimes a wrong value, an unknown key, or
 * not an object at all.
 */
export function options(g: Gen, known: Record<string, (g: Gen) => unknown>): unknown {
  const r = uniform(g, 0, 99);
  if (r === 0) return pick(g, 'reg', 5, [], true);
  if (r === 1) return undefined;
  const o: Record<string, unknown> = {};
  for (const [k, good] of Object.entries(known)) {
    if (chance(g, 0.5)) o[k] = good(g);
  }
  if (r < 4) o[pick(g, 'maxiter', 'Reg', 'foo', 'numItermax', 'stopThr', 'device')] = 1;
  else if (r < 9) {
    const keys = Object.keys(known);
    if (keys.length > 0) o[pick(g, ...keys)] = pick(g, 'x', -1, 0, 1.5, NaN, Infinity, -0, 1e300, {}, [], true, 2 ** 40);
  }
  return o;
}

/** Reasons an error is not acceptable (null when it is an OTError with a code and a message that names the function). */
export function errorProblem(e: unknown): string | null {
  if (!(e instanceof ot.OTError)) {
    const what = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    return `not an OTError: ${what}`;
  }
  if (!(CODES as readonly string[]).includes(e.code)) return `bad code ${String(e.code)}`;
  if (!/^[A-Za-z][\w.]*( \([a-z ]+\))?(\[\d+\])?: \S/.test(e.message)) return `message does not name the function: "${e.message}"`;
  return null;
}

/** Path of the first NaN inside a result (tensors, typed arrays, numbers, arrays and plain objects). */
export function findNaN(v: unknown, path = 'result', seen = new Set<unknown>()): string | null {
  if (typeof v === 'number') return Number.isNaN(v) ? path : null;
  if (v === null || typeof v !== 'object' || seen.has(v)) return null;
  seen.add(v);
  if (v instanceof ot.Tensor) return findNaN(v.data, `${path}.data`, seen);
  if (v instanceof Float32Array || v instanceof Float64Array) {
    const i = v.findIndex((x) => Number.isNaN(x));
    return i >= 0 ? `${path}[${i}]` : null;
  }
  if (ArrayBuffer.isView(v)) return null;
  for (const [k, x] of Object.entries(v)) {
    const p = findNaN(x, `${path}.${k}`, seen);
    if (p) return p;
  }
  return null;
}

/** Tensors inside a result must be self-consistent (data length = product of the shape). */
export function malformedTensor(v: unknown, path = 'result', seen = new Set<unknown>()): string | null {
  if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v)) return null;
  seen.add(v);
  if (v instanceof ot.Tensor) {
    const n = v.shape.reduce((p, s) => p * s, 1);
    if (!(v.data instanceof Float32Array || v.data instanceof Float64Array)) return `${path}: data is not a float array`;
    if (v.data.length !== n) return `${path}: ${v.data.length} values for shape [${v.shape.join(', ')}]`;
    return null;
  }
  for (const [k, x] of Object.entries(v)) {
    const p = malformedTensor(x, `${path}.${k}`, seen);
    if (p) return p;
  }
  return null;
}

/** True when every number reachable from the inputs (tensors, typed arrays, arrays, numbers) is finite. */
export function allFinite(...inputs: unknown[]): boolean {
  const seen = new Set<unknown>();
  const ok = (v: unknown): boolean => {
    if (typeof v === 'number') return Number.isFinite(v);
    if (v === null || typeof v !== 'object' || seen.has(v)) return true;
    seen.add(v);
    if (v instanceof ot.Tensor) return ok(v.data);
    if (v instanceof Float32Array || v instanceof Float64Array) return v.every((x) => Number.isFinite(x));
    if (ArrayBuffer.isView(v) || v instanceof AbortSignal) return true;
    return Object.values(v).every(ok);
  };
  return inputs.every(ok);
}

/** One fuzz case: what it calls, whether its inputs were finite, and extra checks on a result. */
export interface FuzzCase {
  label: string;
  run: () => unknown;
  /** When true (or true for this result) a result must hold no NaN. */
  finite: boolean | ((result: unknown) => boolean);
  /** More checks on a successful result; return a problem or null. */
  check?: (result: unknown) => string | null | Promise<string | null>;
  /** The arguments, described in a failure report. */
  inputs?: readonly unknown[];
}

/** A short description of an argument for failure reports (shapes, dtypes, the first values). */
export function describe(v: unknown, depth = 0): string {
  // FUZZ_FULL=1 prints every value, to replay a case exactly.
  const limit = process.env.FUZZ_FULL ? Infinity : 12;
  const nums = (a: ArrayLike<number>): string => {
    const head = Array.from(a).slice(0, limit).map((x) => (Object.is(x, -0) ? '-0' : String(x)));
    return `[${head.join(', ')}${a.length > limit ? `, … (${a.length})` : ''}]`;
  };
  if (v instanceof ot.Tensor) return `Tensor<${v.dtype}>[${v.shape.join(',')}]${v.requiresGrad ? ' grad' : ''} ${nums(v.data)}`;
  if (ArrayBuffer.isView(v)) {
    const shared = v.buffer instanceof SharedArrayBuffer ? ' shared' : '';
    return `${v.constructor.name}${shared}@${v.byteOffset} ${nums(v as unknown as ArrayLike<number>)}`;
  }
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object' || v === null) return String(v);
  if (depth > 2) return '{…}';
  if (Array.isArray(v)) return `[${v.slice(0, 8).map((x) => describe(x, depth + 1)).join(', ')}${v.length > 8 ? ', …' : ''}]`;
  if (v instanceof AbortSignal) return `AbortSignal(${v.aborted ? 'aborted' : 'live'})`;
  return `{${Object.entries(v).map(([k, x]) => `${k}: ${describe(x, depth + 1)}`).join(', ')}}`;
}

export interface Outcome {
  ok: boolean;
  problem: string | null;
}

/** Runs a case and says what went wrong, if anything (never throws for the case's own failures). */
export async function runCase(c: FuzzCase): Promise<Outcome> {
  let result: unknown;
  try {
    result = c.run();
    if (result instanceof Promise) result = await result;
  } catch (e) {
    const p = errorProblem(e);
    return { ok: false, problem: p && `${c.label}: ${p}` };
  }
  const malformed = malformedTensor(result);
  if (malformed) return { ok: true, problem: `${c.label}: malformed ${malformed}` };
  const finite = typeof c.finite === 'function' ? c.finite(result) : c.finite;
  const nan = finite ? findNaN(result) : null;
  if (nan) return { ok: true, problem: `${c.label}: NaN from finite input at ${nan}` };
  const extra = c.check ? await c.check(result) : null;
  return { ok: true, problem: extra && `${c.label}: ${extra}` };
}

/** A failure report: the problem and the case's arguments. */
export function report(c: FuzzCase, problem: string): string {
  return `${problem}\n  args: ${(c.inputs ?? []).map((x) => describe(x)).join('\n        ')}`;
}
