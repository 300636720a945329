// Gradient wiring of solveBatch's outputs for each grad mode (POT: the `grad` argument of
// ot.batch.solve_batch), for every device: a backend maps its native result to BatchSolved and this
// builds the tensors. 'autodiff' / 'last_step' hang every output off one node with inputs [M, a, b]
// whose backward is the native adjoint (CPU: the only device that records a trace); 'envelope' sets
// value's gradient at convergence, computed from the plan and potentials on the host.
import { STATUSES, type Device, type Status } from '../core/vocabulary.js';
import { allocate, type FloatArray } from '../tensor/dtype.js';
import { MultiOutputNode } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { nativeBatch, type NativeBatchTrace } from './native-batch.js';
import type { BatchSinkhornInput as ResolvedBatch, BatchSinkhornOutput, Storage } from './types.js';
import { fail } from '../core/validate.js';

/** A solved batch as every device's native entry point returns it (plan and potentials on the device). */
export interface BatchSolved {
  /** The plans, or their maker (called at most once) when the solve left them to be built on read. */
  plan: Storage | (() => Storage);
  pot0: Storage;
  pot1: Storage;
  /** Host values [B] in M's dtype. */
  value: FloatArray;
  valueLinear: FloatArray;
  /** Per problem: native Status codes (0 converged, 1 max_iter, 2 diverged). */
  status: Int32Array;
  /** Per problem: POT's n_iter. */
  iters: Int32Array;
  nIter: number;
  trace?: NativeBatchTrace;
}

const EPS = 1e-16; // POT: log(T + 1e-16)

/**
 * ot.solve's rule for every batch gradient: a diverged problem's plan and potentials are meaningless
 * (NaN or garbage), so a backward through them is ERR_OT_VALUE, never a silent NaN gradient.
 */
export function refuseDivergedBatch(diverged: readonly boolean[]): void {
  const bad = diverged.flatMap((d, k) => (d ? [k] : []));
  if (bad.length === 0) return;
  const list = bad.length > 5 ? `${bad.slice(0, 5).join(', ')}, ...` : bad.join(', ');
  fail(
    'ERR_OT_VALUE',
    `solveBatch (backward): ${bad.length} of ${diverged.length} problems diverged (status 'diverged': problem ${list}), ` +
      "so they have no gradient; rescale M, increase reg or use solver 'log_sinkhorn'",
  );
}

export function batchOutputs(r: ResolvedBatch, out: BatchSolved, device: Device): BatchSinkhornOutput {
  const { B, n, m } = r;
  const on = { device };
  const plain = (data: FloatArray | Storage, shape: number[]): Tensor => new Tensor(data, shape, on);
  const statusPerProblem: Status[] = Array.from(out.status, (s) => STATUSES[s] ?? 'diverged');
  const result = (value: Tensor, valueLinear: Tensor, plan: Tensor | (() => Tensor), pot0: Tensor, pot1: Tensor): BatchSinkhornOutput => ({
    value, valueLinear, plan, potentials: [pot0, pot1], statusPerProblem, nIter: out.nIter, nIterPerProblem: out.iters,
  });
  const inputs = [r.M, r.a, r.b];
  const needsGrad = inputs.some((t) => t?.requiresGrad);
  const diverged = Array.from(out.status, (s) => s === 2);
  // The plan tensor, made once: from the solve's output, or built from the potentials when first wanted.
  let planTensor: Tensor | undefined;
  const planOnRead = (): Tensor => (planTensor ??= plain(typeof out.plan === 'function' ? out.plan() : out.plan, [B, n, m]));
  const checked = <G>(backward: (g: G) => (Tensor | null)[]) => (g: G): (Tensor | null)[] => {
    refuseDivergedBatch(diverged);
    return backward(g);
  };

  if (r.grad === 'detach' || !needsGrad) {
    return result(plain(out.value, [B]), plain(out.valueLinear, [B]), planOnRead, plain(out.pot0, [B, n]), plain(out.pot1, [B, m]));
  }
  if (r.grad === 'envelope') {
    const [pot0, pot1] = [plain(out.pot0, [B, n]), plain(out.pot1, [B, m])];
    // .data: the host values (a GPU result is copied back once, when the backward first runs).
    const value = Tensor.fromOp(out.value, [B], {
      name: 'solveBatch.value', inputs, backward: checked((g: Tensor) => envelopeGrads(r, g, planOnRead().data, pot0.data, pot1.data, device)),
    }, device);
    const valueLinear = Tensor.fromOp(out.valueLinear, [B], {
      name: 'solveBatch.valueLinear', inputs: [r.M], backward: checked((g: Tensor) => [scaleRows(g, planOnRead().data, [B, n, m], device)]),
    }, device);
    const plan = planOnRead;
    return result(value, valueLinear, plan, pot0, pot1);
  }
  const trace = out.trace;
  if (!trace) return fail('ERR_OT_VALUE', 'solveBatch: the native solve recorded no trace for the gradient');
  if (typeof out.plan === 'function') return fail('ERR_OT_VALUE', 'solveBatch: a recorded solve must return its plan');
  const planData = out.plan as FloatArray;
  // One node for (plan, pot0, pot1): its backward runs the adjoint once for all three.
  const asData = (g: Tensor | null): FloatArray | null => (g === null ? null : g.dtype === r.dtype ? g.data : g.to(r.dtype).data);
  const node = new MultiOutputNode('solveBatch', inputs, ([gPlan, gPot0, gPot1]) => {
    refuseDivergedBatch(diverged);
    const res = nativeBatch.solveBatchBackward({
      trace, M: r.M.data, a: r.aData, b: r.bData, gPlan: asData(gPlan), gPot0: asData(gPot0), gPot1: asData(gPot1),
      wantA: r.a?.requiresGrad ?? false, wantB: r.b?.requiresGrad ?? false,
    });
    return [
      new Tensor(res.gM, [B, n, m]),
      res.ga ? new Tensor(res.ga, [B, n]) : null,
      res.gb ? new Tensor(res.gb, [B, m]) : null,
    ];
  });
  const plan = Tensor.fromOp(planData, [B, n, m], node.output(0, 'plan'));
  return result(
    Tensor.fromOp(out.value, [B], {
      name: 'solveBatch.value', inputs: [r.M, r.a, r.b, plan], backward: checked((g: Tensor) => valueGrads(r, g, planData)),
    }),
    Tensor.fromOp(out.valueLinear, [B], {
      name: 'solveBatch.valueLinear', inputs: [r.M, plan],
      backward: checked((g: Tensor) => [scaleRows(g, planData, [B, n, m], 'cpu'), scaleRows(g, r.M.data, [B, n, m], 'cpu')]),
    }),
    plan,
    Tensor.fromOp(out.pot0 as FloatArray, [B, n], node.output(1, 'pot0')),
    Tensor.fromOp(out.pot1 as FloatArray, [B, m], node.output(2, 'pot1')),
  );
}

/** out[b, ...] = g[b] * x[b, ...] for a per-problem gradient g [B]; x has `shape` and x's dtype. */
function scaleRows(g: Tensor, x: FloatArray, shape: readonly number[], device: Device): Tensor {
  const B = shape[0]!;
  const per = x.length / B;
  const out = allocate(x instanceof Float64Array ? 'float64' : 'float32', x.length);
  for (let b = 0; b < B; b++) {
    const gb = g.data[b]!;
    for (let k = b * per; k < (b + 1) * per; k++) out[k] = gb * x[k]!;
  }
  return new Tensor(out, shape, { device });
}

/** ot.solve's envelope: d value/dM = plan, d/da = reg (log u − mean log u), d/db = reg (log v − mean log v). */
function envelopeGrads(r: ResolvedBatch, g: Tensor, plan: FloatArray, pot0: FloatArray, pot1: FloatArray, device: Device): (Tensor | null)[] {
  const { B, n, m } = r;
  const gM = r.M.requiresGrad ? scaleRows(g, plan, [B, n, m], device) : null;
  const centred = (pot: FloatArray, len: number): Tensor => {
    const out = allocate(r.dtype, B * len);
    // Zero-weight entries have potential -inf (log 0): they get a zero gradient and stay out of the
    // mean, which they would otherwise turn NaN for the whole problem.
    for (let b = 0; b < B; b++) {
      let mean = 0;
      let count = 0;
      const lg = (k: number): number => (r.solver === 'log_sinkhorn' ? pot[k]! : Math.log(pot[k]!));
      for (let k = b * len; k < (b + 1) * len; k++) {
        if (Number.isFinite(lg(k))) {
          mean += lg(k);
          count++;
        }
      }
      mean /= Math.max(count, 1);
      for (let k = b * len; k < (b + 1) * len; k++) out[k] = Number.isFinite(lg(k)) ? g.data[b]! * r.reg * (lg(k) - mean) : 0;
    }
    return new Tensor(out, [B, len], { device });
  };
  return [gM, r.a?.requiresGrad ? centred(pot0, n) : null, r.b?.requiresGrad ? centred(pot1, m) : null];
}

/**
 * value = Σ M T + reg Σ T log(T + eps) (entropy) or reg Σ T log(T / (a bᵀ) + eps) (KL): its direct partials
 * for inputs [M, a, b, plan]; the plan's part then flows through the adjoint.
 */
function valueGrads(r: ResolvedBatch, g: Tensor, T: FloatArray): (Tensor | null)[] {
  const { B, n, m, reg } = r;
  const M = r.M.data;
  const kl = r.regType === 'kl';
  const gM = r.M.requiresGrad ? allocate(r.dtype, B * n * m) : null;
  const gT = allocate(r.dtype, B * n * m);
  const ga = kl && r.a?.requiresGrad ? allocate(r.dtype, B * n) : null;
  const gb = kl && r.b?.requiresGrad ? allocate(r.dtype, B * m) : null;
  for (let b = 0; b < B; b++) {
    const gv = g.data[b]!;
    for (let i = 0; i < n; i++) {
      const ai = r.aData[b * n + i]!;
      for (let j = 0; j < m; j++) {
        const k = (b * n + i) * m + j;
        const t = T[k]!;
        if (gM) gM[k] = gv * t;
        let dR: number;
        if (!kl) {
          dR = Math.log(t + EPS) + t / (t + EPS);
        } else if (t > 0) {
          const bj = r.bData[b * m + j]!;
          const q = t / (ai * bj);
          dR = Math.log(q + EPS) + q / (q + EPS);
          const w = (gv * reg * t * q) / (q + EPS);
          if (ga) ga[b * n + i] -= w / ai;
          if (gb) gb[b * m + j] -= w / bj;
        } else {
          dR = Math.log(EPS);
        }
        gT[k] = gv * (M[k]! + reg * dR);
      }
    }
  }
  return [
    gM && new Tensor(gM, [B, n, m]),
    ga && new Tensor(ga, [B, n]),
    gb && new Tensor(gb, [B, m]),
    new Tensor(gT, [B, n, m]),
  ];
}
