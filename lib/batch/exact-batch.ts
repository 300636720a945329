// Batched exact OT (ot.batch.solveBatch without reg, beyond POT's solve_batch, which is entropic only):
// B network simplex problems of one size on a team of threads, each as ot.solve's exact method would
// solve it, values differentiable as POT's emd2 (dM = plan, da, db = centred duals, per problem).
import { backendFor, callDevice, type EmdBatchInput, type EmdBatchOutput, type PlanSupports } from '../backend/index.js';
import { checkInteger, checkOneOf, checkOptions, fail } from '../core/validate.js';
import { GRAD_MODES, type Device, type GradMode } from '../core/vocabulary.js';
import { warn } from '../core/warnings.js';
import { exactValue } from '../solvers/exact-grad.js';
import { checkExactMasses, SOLVE_MAX_ITER } from '../solvers/methods/exact.js';
import { allocate, type DType, type FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { batchTensor, batchWeights } from './args.js';
import { BatchResult } from './result.js';

/** The options exact batches read (the others are Sinkhorn's). */
export const EXACT_KEYS = ['reg', 'a', 'b', 'maxIter', 'grad'] as const;
const ENTROPIC_ONLY = ['tol', 'solver', 'regType', 'stopRule'];

interface ResolvedExact extends EmdBatchInput {
  device: Device;
  a: Tensor | null;
  b: Tensor | null;
  grad: GradMode;
}

/** Float64 weights [B * len]: the tensor's values, or uniform 1/len. */
function weightData(t: Tensor | null, B: number, len: number): Float64Array {
  if (t === null) return new Float64Array(B * len).fill(1 / len);
  return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data);
}

function resolve(fn: string, Mv: unknown, opts: Record<string, unknown>, keys: readonly string[]): ResolvedExact {
  for (const k of ENTROPIC_ONLY) {
    if (opts[k] !== undefined) fail('ERR_OT_ARG', `${fn}: option '${k}' applies to entropic OT (reg > 0); exact OT (reg omitted or 0) reads ${EXACT_KEYS.join(', ')}`);
  }
  checkOptions(fn, opts, keys);
  const device = callDevice(fn, [['M', Mv], ['a', opts.a], ['b', opts.b]]);
  const M = batchTensor(fn, 'M', Mv, 3, '[B, n, m]', false);
  const [B, n, m] = M.shape as [number, number, number];
  const maxIter = checkInteger(fn, 'maxIter', opts.maxIter ?? SOLVE_MAX_ITER, 1, Number.MAX_SAFE_INTEGER);
  const grad = checkOneOf(fn, 'grad', opts.grad ?? 'envelope', GRAD_MODES);
  const a = batchWeights(fn, 'a', opts.a, B, n, 'n', M.dtype);
  const b = batchWeights(fn, 'b', opts.b, B, m, 'm', M.dtype);
  const aData = weightData(a, B, n);
  const bData = weightData(b, B, m);
  // Per problem, POT's mass rule and b scaled to a's mass (the kernel sees equal masses).
  const bScaled = b === null ? bData : Float64Array.from(bData);
  for (let k = 0; k < B; k++) {
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < n; i++) sa += aData[k * n + i]!;
    for (let j = 0; j < m; j++) sb += bData[k * m + j]!;
    checkExactMasses(fn, sa, sb, ` (problem ${k})`);
    if (sa !== sb) for (let j = 0; j < m; j++) bScaled[k * m + j] = (bData[k * m + j]! * sa) / sb;
  }
  return { device, M, a, b, aData, bData: bScaled, B, n, m, maxIter, grad };
}

/** [B, n, m] plans in `dtype`, zero off their supports. */
function densePlans(s: PlanSupports, B: number, n: number, m: number, dtype: DType): FloatArray {
  const nm = n * m;
  const out = allocate(dtype, B * nm);
  for (let k = 0; k < B; k++) {
    for (let t = k * s.width; t < (k + 1) * s.width; t++) {
      const at = s.index[t]!;
      if (at >= 0) out[k * nm + at] = s.mass[t]!;
    }
  }
  return out;
}

function assemble(fn: string, r: ResolvedExact, out: EmdBatchOutput): BatchResult {
  const stalled = out.statusPerProblem.filter((s) => s === 'max_iter').length;
  if (stalled > 0) {
    warn('OT_BATCH_MAX_ITER', `${fn}: ${stalled} of ${r.B} exact problems reached maxIter=${r.maxIter} before optimality (plans may not meet the marginals)`);
  }
  const { B, n, m, device, M } = r;
  const on = { device };
  // The dense plans are made once, when the result's plan or M's gradient is first read.
  let dense: FloatArray | null = null;
  const plans = (): FloatArray => (dense ??= densePlans(out.supports, B, n, m, M.dtype));
  const parts = { device, M, a: r.a, b: r.b, plan: plans, u: out.u, v: out.v, B, n, m };
  const detach = r.grad === 'detach';
  const values = M.dtype === 'float64' ? out.value : Float32Array.from(out.value);
  return new BatchResult({
    value: exactValue('solveBatch.exact', values, [B], parts, detach),
    valueLinear: exactValue('solveBatch.exact', values.slice(), [B], parts, detach),
    plan: () => new Tensor(plans(), [B, n, m], on),
    potentials: [new Tensor(out.u, [B, n], on), new Tensor(out.v, [B, m], on)],
    statusPerProblem: out.statusPerProblem,
    nIter: out.nIterPerProblem.reduce((x, y) => Math.max(x, y), 0),
    nIterPerProblem: out.nIterPerProblem,
  });
}

/** True when a solveBatch call asks for exact OT (reg omitted, null or 0). */
export function isExact(opts: unknown): boolean {
  if (opts === undefined || opts === null || typeof opts !== 'object') return opts === undefined || opts === null;
  const reg = (opts as { reg?: unknown }).reg;
  return reg === undefined || reg === null || reg === 0;
}

export function solveBatchExact(fn: string, M: unknown, opts: object | undefined): BatchResult {
  const r = resolve(fn, M, (opts ?? {}) as Record<string, unknown>, EXACT_KEYS);
  return assemble(fn, r, backendFor(r.device).emdBatch(fn, r));
}

export async function solveBatchExactAsync(fn: string, M: unknown, opts: object | undefined, signal: AbortSignal | undefined): Promise<BatchResult> {
  const r = resolve(fn, M, (opts ?? {}) as Record<string, unknown>, [...EXACT_KEYS, 'signal']);
  return assemble(fn, r, await backendFor(r.device).emdBatchAsync(fn, r, signal));
}
