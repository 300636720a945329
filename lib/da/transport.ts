// What POT's ot.da transport classes share (POT: ot.da.BaseTransport): fit() builds the cost between
// the source and target samples (optionally penalised where labels differ) and asks the subclass for
// the coupling; transform() / inverseTransform() map samples by the barycentric mapping, and points
// not seen in fit by POT's nearest-neighbour rule (the mapped nearest fitted point, shifted by the offset).
import { dist } from '../costs/index.js';
import { fail } from '../core/validate.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import type { NestedArray } from '../tensor/tensor.js';
import type { FloatArray } from '../tensor/dtype.js';

/** Samples [n, d]: a Tensor or nested arrays of numbers. */
export type Samples = Tensor | NestedArray;
/** Class labels, one per sample (-1: unlabelled, as POT). */
export type Labels = readonly number[] | Int32Array | Float64Array | Tensor;

export interface FitInput {
  Xs: Samples;
  Xt: Samples;
  ys?: Labels;
  yt?: Labels;
}

function samples(fn: string, name: string, v: unknown): Tensor {
  const t = v instanceof Tensor ? v : Array.isArray(v) ? tensor(v as NestedArray, { dtype: 'float64' }) : fail('ERR_OT_ARG', `${fn}: ${name} must be a Tensor or an array of points [n, d], got ${v === null ? 'null' : typeof v}`);
  if (t.ndim !== 2 || t.shape[0] === 0) fail('ERR_OT_SHAPE', `${fn}: ${name} must be a non-empty [n, d] array of points, got shape [${t.shape.join(', ')}]`);
  return t.detach();
}

function labels(fn: string, name: string, v: Labels | undefined, n: number): Float64Array | null {
  if (v === undefined) return null;
  const data = v instanceof Tensor ? Float64Array.from(v.data) : Float64Array.from(v as ArrayLike<number>);
  if (data.length !== n) fail('ERR_OT_SHAPE', `${fn}: ${name} has ${data.length} labels but there are ${n} samples`);
  const bad = data.findIndex((x) => !Number.isInteger(x));
  if (bad >= 0) fail('ERR_OT_VALUE', `${fn}: ${name}[${bad}] must be an integer class label (-1: unlabelled), got ${data[bad]}`);
  return data;
}

/** Rows of `P` [r, c] normalised to sum 1 (a zero row stays 0, POT's nan_to_num), times X [c, d]. */
function barycentric(P: FloatArray, r: number, c: number, X: FloatArray, d: number, transposed: boolean): Float64Array {
  const out = new Float64Array(r * d);
  for (let i = 0; i < r; i++) {
    let sum = 0;
    for (let j = 0; j < c; j++) sum += transposed ? P[j * r + i]! : P[i * c + j]!;
    if (!(sum > 0) || !Number.isFinite(sum)) continue;
    for (let j = 0; j < c; j++) {
      const w = (transposed ? P[j * r + i]! : P[i * c + j]!) / sum;
      if (w === 0) continue;
      for (let k = 0; k < d; k++) out[i * d + k] = out[i * d + k]! + w * X[j * d + k]!;
    }
  }
  return out;
}

function sameValues(a: Tensor, b: Tensor): boolean {
  if (a === b) return true;
  if (a.shape.length !== b.shape.length || a.shape.some((s, i) => s !== b.shape[i])) return false;
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Index of the nearest row of `ref` (squared euclidean) for each row of `x`. */
function nearest(x: Tensor, ref: Tensor): Int32Array {
  const D = dist(x, ref).data;
  const [n, m] = [x.shape[0]!, ref.shape[0]!];
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < m; j++) if (D[i * m + j]! < D[i * m + best]!) best = j;
    idx[i] = best;
  }
  return idx;
}

export abstract class BaseTransport {
  /** The coupling [ns, nt] found by fit (POT: coupling_); null before fit. */
  coupling: Tensor | null = null;
  /** The cost [ns, nt] the coupling solves (POT: cost_). */
  cost: Tensor | null = null;
  protected xs: Tensor | null = null;
  protected xt: Tensor | null = null;

  protected constructor(protected readonly name: string, protected readonly limitMax: number) {}

  /** The coupling of the (possibly label-penalised) cost with uniform weights. */
  protected abstract couple(M: Tensor): Tensor;

  /**
   * Fits the coupling between source and target samples. With labels for both (`ys`, `yt`; -1 =
   * unlabelled), pairs of labelled samples of different classes cost max(M, limitMax · max M), which
   * keeps mass within classes. POT's own code computes its "both labelled" mask as "both unlabelled"
   * (missing_ys ⊗ missing_yt), so there its labels never change the cost; here they do, as documented.
   */
  fit({ Xs, Xt, ys, yt }: FitInput): this {
    const fn = `${this.name}.fit`;
    const xs = samples(fn, 'Xs', Xs);
    const xt = samples(fn, 'Xt', Xt);
    if (xs.shape[1] !== xt.shape[1]) fail('ERR_OT_SHAPE', `${fn}: Xs and Xt must have the same number of features, got ${xs.shape[1]} and ${xt.shape[1]}`);
    const ls = labels(fn, 'ys', ys, xs.shape[0]!);
    const lt = labels(fn, 'yt', yt, xt.shape[0]!);
    let M = dist(xs, xt);
    if (ls !== null && lt !== null) M = this.penalise(M, ls, lt);
    this.xs = xs;
    this.xt = xt;
    this.cost = M;
    this.coupling = this.couple(M);
    return this;
  }

  /** Pairs (i, j) both labelled with different classes get max(M_ij, limit). */
  private penalise(M: Tensor, ls: Float64Array, lt: Float64Array): Tensor {
    const data = Float64Array.from(M.data);
    const maxM = data.reduce((x, y) => Math.max(x, y), 0);
    const limit = this.maskedCost(maxM);
    const m = lt.length;
    for (let i = 0; i < ls.length; i++) {
      if (ls[i] === -1) continue;
      for (let j = 0; j < m; j++) if (lt[j] !== -1 && lt[j] !== ls[i]) data[i * m + j] = Math.max(data[i * m + j]!, limit);
    }
    return new Tensor(M.dtype === 'float64' ? data : Float32Array.from(data), M.shape);
  }

  /** The cost given to pairs of different classes: limitMax · max M (finite limits). */
  protected maskedCost(maxM: number): number {
    return this.limitMax * maxM;
  }

  protected fitted(fn: string): { xs: Tensor; xt: Tensor; G: Tensor } {
    if (this.coupling === null || this.xs === null || this.xt === null) fail('ERR_OT_ARG', `${fn}: call fit({ Xs, Xt }) first`);
    return { xs: this.xs!, xt: this.xt!, G: this.coupling! };
  }

  /**
   * Maps source samples onto the target domain (POT: transform): each fitted source point goes to the
   * coupling-weighted mean of the target points; another point x goes where its nearest fitted source
   * point s goes, plus x − s.
   */
  transform({ Xs }: { Xs: Samples }): Tensor {
    const fn = `${this.name}.transform`;
    const { xs, xt, G } = this.fitted(fn);
    const x = samples(fn, 'Xs', Xs);
    return this.map(fn, x, xs, xt, G, false);
  }

  /** Maps target samples onto the source domain (POT: inverse_transform), by the transposed coupling. */
  inverseTransform({ Xt }: { Xt: Samples }): Tensor {
    const fn = `${this.name}.inverseTransform`;
    const { xs, xt, G } = this.fitted(fn);
    const x = samples(fn, 'Xt', Xt);
    return this.map(fn, x, xt, xs, G, true);
  }

  /** fit then transform of the same source samples (POT: fit_transform). */
  fitTransform(input: FitInput): Tensor {
    return this.fit(input).transform({ Xs: input.Xs });
  }

  /** POT's BaseTransport mapping ('ferradans' out of sample): from `from` (fitted side) to `to`. */
  protected map(fn: string, x: Tensor, from: Tensor, to: Tensor, G: Tensor, transposed: boolean): Tensor {
    const d = to.shape[1]!;
    if (x.shape[1] !== d) fail('ERR_OT_SHAPE', `${fn}: the samples must have ${d} features (as in fit), got ${x.shape[1]}`);
    const r = from.shape[0]!;
    const c = to.shape[0]!;
    const mapped = barycentric(G.data, r, c, to.data, d, transposed);
    if (sameValues(x, from)) return new Tensor(mapped, [r, d]);
    const idx = nearest(x, from);
    const out = new Float64Array(x.shape[0]! * d);
    const xd = x.data;
    const fd = from.data;
    for (let i = 0; i < idx.length; i++) {
      const s = idx[i]!;
      for (let k = 0; k < d; k++) out[i * d + k] = mapped[s * d + k]! + xd[i * d + k]! - fd[s * d + k]!;
    }
    return new Tensor(out, [x.shape[0]!, d]);
  }
}
