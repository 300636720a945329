// The exact Wasserstein barycenter of histograms on one support (POT: ot.lp.barycenter), as POT states it:
// one linear program over the k couplings T_s [n, n] and the barycenter b [n], minimising
// Σ_s w_s <M, T_s> with T_s's rows summing to histogram s and its columns to b. It is solved by HiGHS (the
// `highs` package: the solver scipy's linprog runs for POT, compiled to WebAssembly, no install-time
// download) with its interior-point method and crossover, POT's default 'highs-ipm'. The program has
// k·n² + n variables, so this is for small supports, as in POT.
import { checkFinite, checkNonNegative, checkOptions, fail } from '../core/validate.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import type { NestedArray } from '../tensor/tensor.js';
import type { Highs } from 'highs';

export interface LpBarycenterOptions {
  /** Weights of the histograms (default uniform); non-negative, one per column of A. */
  weights?: Tensor | readonly number[];
}

// The WebAssembly module is compiled once per process, on first use.
type HighsLoader = () => Promise<Highs>;
let solver: Promise<Highs> | undefined;
function highs(): Promise<Highs> {
  // The package's ESM entry has the loader as its default export; its types describe the CommonJS
  // entry, whose default is module.exports with the loader again as .default. Accept either.
  solver ??= import('highs').then((m) => {
    const d = m.default as unknown as HighsLoader | { default: HighsLoader };
    return typeof d === 'function' ? d() : d.default();
  });
  return solver;
}

function asMatrix(fn: string, name: string, v: unknown): Tensor {
  const t = v instanceof Tensor ? v : Array.isArray(v) ? tensor(v as NestedArray, { dtype: 'float64' }) : fail('ERR_OT_ARG', `${fn}: ${name} must be a Tensor or nested arrays, got ${typeof v}`);
  if (t.ndim !== 2 || t.shape[0] === 0 || t.shape[1] === 0) fail('ERR_OT_SHAPE', `${fn}: ${name} must be a non-empty 2-d array, got shape [${t.shape.join(', ')}]`);
  if (t.device !== 'cpu') fail('ERR_OT_DEVICE', `${fn}: ${name} must be on the cpu (the linear program runs there), got ${t.device}`);
  checkFinite(fn, name, t.data);
  return t;
}

/** The program in CPLEX LP text; variable x{s}_{i}_{j} is T_s[i, j], b{j} the barycenter. */
function program(A: ArrayLike<number>, M: ArrayLike<number>, w: Float64Array, n: number, k: number): string {
  const out: string[] = ['Minimize', ' obj:'];
  const terms: string[] = [];
  for (let s = 0; s < k; s++) {
    for (let ij = 0; ij < n * n; ij++) {
      const c = w[s]! * M[ij]!;
      if (c !== 0) terms.push(`${c} x${s}_${Math.floor(ij / n)}_${ij % n}`);
    }
  }
  // An all-zero objective still needs one term for the parser.
  out.push(terms.length > 0 ? ' ' + terms.join(' + ').replace(/\+ -/g, '- ') : ' 0 b0');
  out.push('Subject To');
  const row: string[] = new Array<string>(n);
  for (let s = 0; s < k; s++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) row[j] = `x${s}_${i}_${j}`;
      out.push(` r${s}_${i}: ${row.join(' + ')} = ${A[i * k + s]!}`);
    }
  }
  // Columns: T_s's column j sums to b_j; as POT, the last one is dropped for s > 0 (implied by the masses).
  for (let s = 0; s < k; s++) {
    for (let j = 0; j < (s === 0 ? n : n - 1); j++) {
      for (let i = 0; i < n; i++) row[i] = `x${s}_${i}_${j}`;
      out.push(` c${s}_${j}: ${row.join(' + ')} - b${j} = 0`);
    }
  }
  out.push('End', '');
  return out.join('\n');
}

/**
 * The exact (linear-program) Wasserstein barycenter [n] of the k histograms in the columns of A [n, k]
 * for the cost M [n, n] (POT: ot.lp.barycenter(A, M, weights)). Returns a Promise: the LP solver is a
 * WebAssembly module, loaded on first use. The solve itself runs on the calling thread.
 * @example
 * const bary = await ot.lp.barycenter(A, M, { weights: [0.5, 0.5] });
 */
export async function barycenter(A: Tensor | NestedArray, M: Tensor | NestedArray, opts: LpBarycenterOptions = {}): Promise<Tensor> {
  const fn = 'lp.barycenter';
  checkOptions(fn, opts, ['weights']);
  const At = asMatrix(fn, 'A', A);
  const Mt = asMatrix(fn, 'M', M);
  const [n, k] = At.shape as [number, number];
  if (Mt.shape[0] !== n || Mt.shape[1] !== n) fail('ERR_OT_SHAPE', `${fn}: M must be [${n}, ${n}] for histograms of ${n} bins, got [${Mt.shape.join(', ')}]`);
  checkNonNegative(fn, 'A', At.data);
  const w = opts.weights === undefined ? new Float64Array(k).fill(1 / k)
    : Float64Array.from(opts.weights instanceof Tensor ? opts.weights.data : (opts.weights as readonly number[]));
  if (w.length !== k) fail('ERR_OT_SHAPE', `${fn}: weights has ${w.length} entries but A has ${k} histograms (columns)`);
  checkFinite(fn, 'weights', w);
  checkNonNegative(fn, 'weights', w);
  // Every coupling has the barycenter as its column sums, so the histograms must carry one mass.
  const mass = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let s = 0; s < k; s++) mass[s] = mass[s]! + At.data[i * k + s]!;
  // Masses equal up to the dtype's round-off are made exactly equal (else the program is infeasible).
  const slack = At.dtype === 'float64' ? 1e-9 : 1e-5;
  const Ad = Float64Array.from(At.data);
  for (let s = 1; s < k; s++) {
    if (!(Math.abs(mass[s]! - mass[0]!) <= slack * Math.max(1, mass[0]!))) fail('ERR_OT_VALUE', `${fn}: the histograms (columns of A) must have equal masses, got ${mass[0]} for column 0 and ${mass[s]} for column ${s}`);
    if (mass[s]! > 0 && mass[s] !== mass[0]) for (let i = 0; i < n; i++) Ad[i * k + s] = Ad[i * k + s]! * (mass[0]! / mass[s]!);
  }

  const lp = program(Ad, Mt.data, w, n, k);
  const sol = (await highs()).solve(lp, { solver: 'ipm', run_crossover: 'on' });
  if (sol.Status !== 'Optimal') fail('ERR_OT_VALUE', `${fn}: the linear program ended with status '${sol.Status}', not an optimum; check A and M`);
  const out = new Float64Array(n);
  // A variable the presolve removed is reported at 0, as it is in the program's optimum.
  for (let j = 0; j < n; j++) out[j] = Math.max(0, sol.Columns[`b${j}`]?.Primal ?? 0);
  return new Tensor(At.dtype === 'float64' ? out : Float32Array.from(out), [n]);
}
