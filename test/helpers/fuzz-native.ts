// Fuzz cases over the raw addon exports (lib/native.ts `addon`): arguments that are mostly
// consistent (so the kernels run) with one or two positions replaced by junk, dropped or mismatched.
import { addon } from '../../lib/native.js';
import { allFinite, chance, choice, mode, pick, rawArray, size, uniform, values, type FuzzCase, type Gen, type Mode } from './fuzz-values.js';


/** Junk for any position; large integers stay invalid (no call may run for billions of iterations). */
const JUNK: readonly unknown[] = [
  undefined, null, NaN, Infinity, -1, 0, 1.5, 2 ** 40, 2 ** 53, 'x', '', {}, [], [1, 2], true, false,
  new Int32Array(3), new Float64Array(0), new Float32Array(1), Symbol('s'), 10n, () => 1,
  // A CudaBuffer look-alike: only the addon's own (tagged) buffers route an op to its CUDA Job.
  { byteLength: 8, length: 1, dtype: 'float64', freed: false, free() {} },
];

/** A length that is usually right, sometimes one off. */
function len(g: Gen, n: number): number {
  return chance(g, 0.95) ? n : Math.max(0, n + pick(g, -1, 1));
}

function cancelFlag(g: Gen): unknown {
  const r = uniform(g, 0, 9);
  if (r < 6) return undefined;
  if (r === 6) return new Int32Array(new SharedArrayBuffer(4));
  if (r === 7) {
    const f = new Int32Array(new SharedArrayBuffer(4));
    f[0] = 1;
    return f;
  }
  // A flag over a plain (detachable) ArrayBuffer is refused: ERR_OT_ARG.
  return pick(g, new Int32Array(0), new Int32Array(1), new Float64Array(1), 'x', 1);
}

/** A progress slot (core/progress.ts): absent, valid, or refused (wrong type, length, or not shared memory: ERR_OT_ARG). */
function progressSlot(g: Gen): unknown {
  const r = uniform(g, 0, 9);
  if (r < 6) return undefined;
  if (r < 8) return new BigInt64Array(new SharedArrayBuffer(24));
  return pick(g, new BigInt64Array(3), new BigInt64Array(new SharedArrayBuffer(16)), new Float64Array(new SharedArrayBuffer(24)), new Int32Array(new SharedArrayBuffer(24)), 'x', 1);
}

/** Normalised float64 weights (the solve kernels' a and b), sometimes with zeros or a wrong total. */
function weights(g: Gen, n: number, m: Mode, f64 = true): unknown {
  if (chance(g, 0.15)) return rawArray(g, len(g, n), m, { nonNegative: chance(g, 0.6), f64 });
  const raw = Array.from({ length: n }, () => (chance(g, 0.2) ? 0 : uniform(g, 0, 1e6) / 1e6));
  const s = raw.reduce((p, x) => p + x, 0);
  const Ctor = f64 ? Float64Array : Float32Array;
  return Ctor.from(s > 0 ? raw.map((x) => x / s) : raw);
}

/** Replaces one or two positions by junk (25%), or drops the tail (5%). */
function mutate(g: Gen, args: unknown[]): unknown[] {
  if (args.length === 0) return args;
  const r = uniform(g, 0, 1e6) / 1e6;
  if (r < 0.15) {
    const out = [...args];
    const times = pick(g, 1, 1, 2);
    for (let t = 0; t < times; t++) out[uniform(g, 0, out.length - 1)] = pick(g, ...JUNK);
    return out;
  }
  if (r < 0.18) return args.slice(0, uniform(g, 0, args.length - 1));
  return args;
}

/** Arguments of one call; with `keys` they are the fields of the one options object the export takes. */
type Build = (g: Gen, m: Mode) => { args: unknown[]; asyncOk: boolean; keys?: string[] };

/** The options object of an export that takes one: field k is args[k] (mutated like positional ones). */
function asOptions(keys: readonly string[], args: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k, i) => [k, args[i]]));
}

const METRICS = ['sqeuclidean', 'euclidean', 'cityblock', 'minkowski', 'chebyshev', 'cosine'];

const DIST_KEYS = ['x', 'y', 'n', 'm', 'd', 'metric', 'p', 'same', 'cancel'];

const dist: Build = (g, m) => {
  const n = size(g), k = size(g), d = size(g, 4);
  const f64 = chance(g, 0.5);
  const same = chance(g, 0.2) && n === k;
  const x = rawArray(g, len(g, n * d), m, { f64 });
  const y = same ? x : rawArray(g, len(g, k * d), m, { f64 });
  return { args: [x, y, n, same ? n : k, d, choice(g, METRICS, ['kl']), choice(g, [1, 2, 3], [0.5]), same, cancelFlag(g)], asyncOk: true, keys: DIST_KEYS };
};

const distBackward: Build = (g, m) => {
  const { args } = dist(g, m);
  const [x, , n, k, d] = args as [unknown, unknown, number, number, number];
  const f64 = x instanceof Float64Array;
  const M = rawArray(g, len(g, n * k), m, { f64, nonNegative: true });
  const G = rawArray(g, len(g, n * k), m, { f64 });
  void d;
  return { args: [...args.slice(0, 8), M, G, chance(g, 0.7), chance(g, 0.7), cancelFlag(g)], asyncOk: true, keys: [...DIST_KEYS.slice(0, 8), 'M', 'G', 'needX', 'needY', 'cancel'] };
};

function problemHead(g: Gen, m: Mode): unknown[] {
  const n = size(g, 6), k = size(g, 6);
  const M = rawArray(g, len(g, n * k), m, { nonNegative: chance(g, 0.7) });
  return [M, weights(g, n, m), weights(g, k, m), n, k, choice(g, [1e-4, 0.01, 0.1, 1, 10], [0, -1]), choice(g, ['KL', 'entropy'], ['kl'])];
}

const PROBLEM_KEYS = ['M', 'a', 'b', 'n', 'm', 'reg', 'regType'];

const sinkhornSolve: Build = (g, m) => {
  const head = problemHead(g, m);
  const n = head[3] as number;
  // Unbalanced strengths and penalty, and a warm start, on some calls.
  const unb = chance(g, 0.4);
  const strength = (): unknown => (unb ? choice(g, [0.1, 1, 10], [0, -1, Infinity]) : undefined);
  return {
    args: [...head, uniform(g, 1, 100), choice(g, [1e-9, 0, 1e-3], [-1]), choice(g, ['none', 'history', 'last_step'], ['all']), strength(), strength(),
      unb ? choice(g, ['KL', 'TV', 'L2'], ['L1']) : undefined, chance(g, 0.3) ? rawArray(g, len(g, n), m, { f64: chance(g, 0.9) }) : null, cancelFlag(g),
      progressSlot(g)],
    asyncOk: true,
    keys: [...PROBLEM_KEYS, 'maxIter', 'tol', 'record', 'ua', 'ub', 'marginal', 'initU', 'cancel', 'progress'],
  };
};

const sinkhornBackward: Build = (g, m) => {
  const head = problemHead(g, 'clean');
  const [M, , , n, k] = head as [Float64Array | Float32Array, unknown, unknown, number, number];
  const lastStep = chance(g, 0.3);
  let history: unknown = new Float64Array(n + k);
  let iterations = 1;
  try {
    const fwd = addon.sinkhornSolve(asOptions([...PROBLEM_KEYS, 'maxIter', 'tol', 'record'], [...head, uniform(g, 1, 30), 1e-9, lastStep ? 'last_step' : 'history'])) as {
      history: unknown; iterations: number;
    };
    history = fwd.history;
    iterations = fwd.iterations;
    if (chance(g, 0.1)) addon.releaseHistory(history);  // a freed record must be refused
  } catch {
    // an invalid head: the backward must reject it too
  }
  if (chance(g, 0.2) && history instanceof Float64Array) history = Float64Array.from(values(g, len(g, history.length), m));
  const f64 = M instanceof Float64Array;
  const seed = (l: number): unknown => (chance(g, 0.5) ? null : rawArray(g, len(g, l), m, { f64 }));
  return {
    args: [...head, history, chance(g, 0.9) ? iterations : pick(g, 0, iterations + 1, 1e9), chance(g, 0.5), values(g, 1, m)[0], values(g, 1, m)[0],
      seed(n * k), seed(n), seed(k), chance(g, 0.7), lastStep],
    asyncOk: true,
    keys: [...PROBLEM_KEYS, 'history', 'iterations', 'directTerms', 'gValue', 'gValueLinear', 'gPlan', 'gLogU', 'gLogV', 'needM', 'lastStep'],
  };
};

// A lazyPlan forward's state with its M (or another M, other shapes, junk), for sinkhornPlan.
const sinkhornPlan: Build = (g, m) => {
  const head = problemHead(g, 'clean');
  const [M, , , n, k] = head as [Float64Array | Float32Array, unknown, unknown, number, number];
  let planState: unknown = pick(g, ...JUNK);
  try {
    const fwd = addon.sinkhornSolve(asOptions([...PROBLEM_KEYS, 'maxIter', 'tol', 'record', 'lazyPlan'], [...head, uniform(g, 1, 30), 1e-9, 'none', true])) as { planState: unknown };
    if (chance(g, 0.9)) planState = fwd.planState;
  } catch {
    // an invalid head: a junk state
  }
  const otherM = chance(g, 0.2) ? rawArray(g, len(g, n * k), m, { f64: M instanceof Float64Array }) : M;
  return {
    args: [otherM, chance(g, 0.9) ? n : pick(g, 0, n + 1, -1), k, planState, cancelFlag(g)],
    asyncOk: true,
    keys: ['M', 'n', 'm', 'planState', 'cancel'],
  };
};

const EMD_KEYS = ['M', 'a', 'b', 'n', 'm', 'maxIter', 'valueOnly', 'cancel'];

const emdSolve: Build = (g, m) => {
  const n = size(g, 6), k = size(g, 6);
  const M = rawArray(g, len(g, n * k), m, { nonNegative: chance(g, 0.7), f64: chance(g, 0.5) });
  return {
    args: [M, weights(g, n, m), weights(g, k, m), n, k, choice(g, [1, 3, 100000], [0, -1, 1.5]), chance(g, 0.3), cancelFlag(g)], asyncOk: true, keys: EMD_KEYS,
  };
};

const emdBatch: Build = (g, m) => {
  const B = size(g, 3), n = size(g, 5), k = size(g, 5);
  const M = rawArray(g, len(g, B * n * k), m, { nonNegative: chance(g, 0.7), f64: chance(g, 0.5) });
  const w = (l: number): unknown => (chance(g, 0.2) ? weights(g, B * l, m) : Float64Array.from({ length: B * l }, () => 1 / l));
  return {
    args: [M, w(n), w(k), B, n, k, choice(g, [1, 3, 100000], [0, -1]), cancelFlag(g)], asyncOk: true,
    keys: ['M', 'a', 'b', 'B', 'n', 'm', 'maxIter', 'cancel'],
  };
};

function dualHead(g: Gen, m: Mode): unknown[] {
  const n = size(g), k = size(g), d = size(g, 4);
  const f64 = chance(g, 0.5);
  const arr = (l: number, nonNegative = false): unknown => rawArray(g, len(g, l), m, { f64, nonNegative });
  return [arr(n), arr(k), arr(n * d), arr(k * d), chance(g, 0.5) ? null : arr(n, true), chance(g, 0.5) ? null : arr(k, true), d,
    choice(g, ['entropic', 'quadratic'], ['l2']), choice(g, METRICS, ['kl']), choice(g, [1, 2], [0.5]), choice(g, [1e-3, 0.1, 1], [0, -1])];
}

const DUAL_KEYS = ['u', 'v', 'xs', 'xt', 'ws', 'wt', 'd', 'kind', 'metric', 'p', 'reg'];

const dualLoss: Build = (g, m) => {
  const head = dualHead(g, m);
  const [u, v, , , , , d] = head as [{ length: number }, { length: number }, unknown, unknown, unknown, unknown, number];
  const n = u?.length ?? 0, k = v?.length ?? 0;
  const want = uniform(g, 0, 63);
  const need = [n, k, n * d, k * d, n, k].reduce((s, l, i) => s + (want & (1 << i) ? l : 0), 0);
  const out = chance(g, 0.1) ? null : rawArray(g, len(g, need), 'clean', { f64: u instanceof Float64Array });
  if (chance(g, 0.3)) {
    // The prepared form: a handle of dualPrepare (or, when the head is invalid, whatever junk it gets).
    let handle: unknown = pick(g, ...JUNK);
    try {
      handle = addon.dualPrepare(asOptions([...DUAL_KEYS, 'want'], [...head, want]));
    } catch {
      // an invalid head: the loss must reject the junk handle
    }
    return { args: [handle, out, cancelFlag(g)], asyncOk: true, keys: ['prepared', 'out', 'cancel'] };
  }
  return { args: [...head, want, out, cancelFlag(g)], asyncOk: true, keys: [...DUAL_KEYS, 'want', 'out', 'cancel'] };
};

const dualPrepare: Build = (g, m) => ({ args: [...dualHead(g, m), uniform(g, 0, 63)], asyncOk: false, keys: [...DUAL_KEYS, 'want'] });

const dualPlan: Build = (g, m) => ({ args: [...dualHead(g, m), cancelFlag(g)], asyncOk: true, keys: [...DUAL_KEYS, 'cancel'] });

const dualAscent: Build = (g, m) => {
  const adam = chance(g, 0.6);
  const rule = adam
    ? ['adam', choice(g, [1e-3, 0.1, 1], [-1]), choice(g, [0.9, 0.5], [1]), choice(g, [0.999, 0.9], [1.5]), choice(g, [1e-8, 0], [-1]), choice(g, [0, 0.1], [-1]), chance(g, 0.3)]
    : ['sgd', choice(g, [1e-3, 0.1, 1], [-1]), choice(g, [0, 0.9], [-1]), choice(g, [0, 0.1], [NaN]), choice(g, [0, 0.1], [-1]), chance(g, 0.3)];
  const ruleKeys = adam ? ['optimizer', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'amsgrad'] : ['optimizer', 'lr', 'momentum', 'dampening', 'weightDecay', 'nesterov'];
  return {
    args: [...dualHead(g, m), uniform(g, 0, 30), ...rule, cancelFlag(g)], asyncOk: true,
    keys: [...DUAL_KEYS, 'steps', ...ruleKeys, 'cancel'],
  };
};

const optimStep: Build = (g, m) => {
  const adam = chance(g, 0.6);
  const count = uniform(g, 1, 3);
  const f64 = chance(g, 0.5);
  const tensors: unknown[] = [];
  for (let k = 0; k < count; k++) {
    const l = size(g, 6);
    const state = (): unknown => rawArray(g, len(g, l), 'clean', { f64, nonNegative: true });
    tensors.push(rawArray(g, l, m, { f64 }), rawArray(g, len(g, l), m, { f64 }), state(), adam ? state() : null, chance(g, 0.3) ? state() : null);
  }
  const hyper = adam ? [choice(g, [1e-3, 1], [-1]), 0.9, 0.999, 1e-8, 0, pick(g, 0, 1), pick(g, 0, 1)] : [0.1, pick(g, 0, 0.9), 0, 0, 0, pick(g, 0, 1), 0];
  const steps = Float64Array.from({ length: len(g, count) }, () => choice(g, [1, 2, 7], [0, 1.5]));
  return { args: [adam ? 'adam' : 'sgd', Float64Array.from(hyper), tensors, steps], asyncOk: false, keys: ['rule', 'hyper', 'tensors', 'steps'] };
};

function batchHead(g: Gen, m: Mode): unknown[] {
  const B = size(g, 3), n = size(g, 5), k = size(g, 5);
  const f64 = chance(g, 0.5);
  const w = (l: number): unknown => {
    if (chance(g, 0.4)) return null;
    if (chance(g, 0.2)) return rawArray(g, len(g, B * l), m, { f64, nonNegative: true });
    return (f64 ? new Float64Array(B * l) : new Float32Array(B * l)).fill(1 / l);
  };
  return [rawArray(g, len(g, B * n * k), m, { f64, nonNegative: chance(g, 0.7) }), w(n), w(k), B, n, k, choice(g, [1e-3, 0.05, 1], [0])];
}

const SOLVE_BATCH_KEYS = ['M', 'a', 'b', 'B', 'n', 'm', 'reg', 'maxIter', 'tol', 'solver', 'regType', 'stopRule', 'record', 'cancel'];

const solveBatch: Build = (g, m) => ({
  args: [...batchHead(g, m), uniform(g, 1, 100), choice(g, [1e-5, 0], [-1]), choice(g, ['log_sinkhorn', 'sinkhorn'], ['x']),
    choice(g, ['entropy', 'kl'], ['KL']), choice(g, ['batch', 'problem'], ['x']), choice(g, ['none', 'all', 'last'], ['x']), cancelFlag(g)],
  asyncOk: true,
  keys: SOLVE_BATCH_KEYS,
});

const solveBatchPlan: Build = (g, m) => {
  const [M, , , B, n, k, reg] = batchHead(g, m) as [Float64Array | Float32Array, unknown, unknown, number, number, number, unknown];
  const f64 = chance(g, 0.8) ? M instanceof Float64Array : !(M instanceof Float64Array);
  return {
    args: [M, rawArray(g, len(g, B * n), m, { f64 }), rawArray(g, len(g, B * k), m, { f64 }), B, n, k, reg,
      choice(g, ['log_sinkhorn', 'sinkhorn'], ['x']), cancelFlag(g)],
    asyncOk: true,
    keys: ['M', 'pot0', 'pot1', 'B', 'n', 'm', 'reg', 'solver', 'cancel'],
  };
};

const solveBatchBackward: Build = (g, m) => {
  const head = batchHead(g, 'clean');
  const [M, , , B, n, k] = head as [Float64Array | Float32Array, unknown, unknown, number, number, number];
  let trace: unknown = {};
  try {
    const fwd = asOptions(SOLVE_BATCH_KEYS, [...head, uniform(g, 1, 30), 1e-5, 'log_sinkhorn', 'entropy', 'batch', pick(g, 'all', 'last')]);
    trace = (addon.solveBatch(fwd) as { trace: unknown }).trace;
  } catch {
    // an invalid head: pass a non-trace
  }
  const f64 = M instanceof Float64Array;
  const seed = (l: number): unknown => (chance(g, 0.4) ? null : rawArray(g, len(g, l), m, { f64 }));
  return {
    args: [trace, M, head[1], head[2], seed(B * n * k), seed(B * n), seed(B * k), chance(g, 0.5), chance(g, 0.5), cancelFlag(g)], asyncOk: true,
    keys: ['trace', 'M', 'a', 'b', 'gPlan', 'gPot0', 'gPot1', 'wantA', 'wantB', 'cancel'],
  };
};

function distBatchHead(g: Gen, m: Mode): { X: unknown; Y: unknown; dims: number[]; f64: boolean } {
  const B = size(g, 3), n = size(g, 5), k = size(g, 5), d = size(g, 3);
  const f64 = chance(g, 0.5);
  const nonNegative = chance(g, 0.5);
  const X = rawArray(g, len(g, B * n * d), m, { f64, nonNegative });
  const Y = chance(g, 0.3) ? null : rawArray(g, len(g, B * k * d), m, { f64, nonNegative });
  return { X, Y, dims: [B, n, Y === null && chance(g, 0.9) ? n : k, d], f64 };
}

const DIST_BATCH_METRICS = ['sqeuclidean', 'euclidean', 'minkowski', 'kl'];

const distBatch: Build = (g, m) => {
  const { X, Y, dims } = distBatchHead(g, m);
  return {
    args: [X, Y, ...dims, choice(g, DIST_BATCH_METRICS, ['cosine']), choice(g, [1, 2], [0.5]), cancelFlag(g)], asyncOk: true,
    keys: ['X', 'Y', 'B', 'n', 'm', 'd', 'metric', 'p', 'cancel'],
  };
};

const distBatchBackward: Build = (g, m) => {
  const { X, Y, dims, f64 } = distBatchHead(g, m);
  const [B, n, k] = dims as [number, number, number];
  const M = rawArray(g, len(g, B * n * k), m, { f64, nonNegative: true });
  const G = rawArray(g, len(g, B * n * k), m, { f64 });
  return {
    args: [X, Y, M, G, ...dims, choice(g, DIST_BATCH_METRICS, ['cosine']), choice(g, [1, 2], [0.5]), chance(g, 0.7), chance(g, 0.7)], asyncOk: true,
    keys: ['X', 'Y', 'M', 'G', 'B', 'n', 'm', 'd', 'metric', 'p', 'wantX', 'wantY'],
  };
};

/** Sample weights in the samples' dtype: absent (uniform), or entries that are mostly >= 0. */
function sampleWeights(g: Gen, n: number, m: Mode, f64: boolean): unknown {
  return chance(g, 0.4) ? null : rawArray(g, len(g, n), m, { f64, nonNegative: chance(g, 0.85) });
}

const wasserstein1d: Build = (g, m) => {
  const n = size(g), k2 = size(g), k = size(g, 3);
  const f64 = chance(g, 0.5);
  const shared = chance(g, 0.5);
  return {
    args: [rawArray(g, len(g, n * k), m, { f64 }), rawArray(g, len(g, k2 * k), m, { f64 }), sampleWeights(g, shared ? n : n * k, m, f64),
      sampleWeights(g, shared ? k2 : k2 * k, m, f64), n, k2, k, choice(g, [1, 1.5, 2, 3], [0.5, NaN]), chance(g, 0.5), chance(g, 0.5), cancelFlag(g)],
    asyncOk: true,
    keys: ['u', 'v', 'uWeights', 'vWeights', 'n', 'm', 'k', 'p', 'needU', 'needV', 'cancel'],
  };
};

const matmul: Build = (g, m) => {
  const n = size(g), k = size(g), c = size(g);
  const f64 = chance(g, 0.5);
  return {
    args: [rawArray(g, len(g, n * k), m, { f64 }), rawArray(g, len(g, k * c), m, { f64: chance(g, 0.9) ? f64 : !f64 }), n, k, c,
      chance(g, 0.5), chance(g, 0.5), cancelFlag(g)],
    asyncOk: true,
    keys: ['a', 'b', 'n', 'k', 'm', 'transA', 'transB', 'cancel'],
  };
};

const emd1d: Build = (g, m) => {
  const n = size(g), k = size(g);
  const f64 = chance(g, 0.5);
  // Equal masses most of the time (uniform or normalised), so the plan is usually computed.
  const norm = (l: number): unknown => {
    if (chance(g, 0.3)) return sampleWeights(g, l, m, f64);
    const w = Array.from({ length: l }, () => uniform(g, 1, 100));
    const s = w.reduce((p, x) => p + x, 0);
    return (f64 ? Float64Array : Float32Array).from(w.map((x) => x / s));
  };
  return {
    args: [rawArray(g, len(g, n), m, { f64 }), rawArray(g, len(g, k), m, { f64 }), norm(n), norm(k), n, k, choice(g, [1, 2, 3], [0]), chance(g, 0.7)],
    asyncOk: true,
    keys: ['xA', 'xB', 'a', 'b', 'n', 'm', 'p', 'dense'],
  };
};

const slicedWasserstein: Build = (g, m) => {
  const n = size(g), k2 = size(g), d = size(g, 4), k = size(g, 5);
  const f64 = chance(g, 0.5);
  return {
    args: [rawArray(g, len(g, n * d), m, { f64 }), rawArray(g, len(g, k2 * d), m, { f64 }), sampleWeights(g, n, m, f64), sampleWeights(g, k2, m, f64),
      rawArray(g, len(g, d * k), m, { f64 }), n, k2, d, k, choice(g, [1, 2, 3], [0.5]), choice(g, ['none', 'mean', 'max'], ['min']),
      chance(g, 0.6), chance(g, 0.6), cancelFlag(g)],
    asyncOk: true,
    keys: ['xS', 'xT', 'a', 'b', 'projections', 'n', 'm', 'd', 'k', 'p', 'grad', 'needS', 'needT', 'cancel'],
  };
};

const mmUnbalanced: Build = (g, m) => {
  const n = size(g, 6), k = size(g, 6);
  const M = rawArray(g, len(g, n * k), m, { nonNegative: chance(g, 0.7) });
  return {
    args: [M, weights(g, n, m), weights(g, k, m), n, k, choice(g, [0, 0.1, 1], [-1]), choice(g, [0.1, 1, 10], [0, -1, Infinity]),
      choice(g, [0.1, 1, 10], [0, -1]), choice(g, ['KL', 'L2'], ['TV']), uniform(g, 1, 50), choice(g, [1e-12, 0], [-1]), cancelFlag(g)],
    asyncOk: true,
    keys: ['M', 'a', 'b', 'n', 'm', 'reg', 'ua', 'ub', 'div', 'maxIter', 'tol', 'cancel'],
  };
};

const barycenterBregman: Build = (g, m) => {
  const n = size(g, 6), k = size(g, 4);
  const A = rawArray(g, len(g, n * k), m, { nonNegative: chance(g, 0.8) });
  const M = rawArray(g, len(g, n * n), m, { nonNegative: chance(g, 0.7) });
  return {
    args: [A, M, weights(g, k, m), n, k, choice(g, [1e-3, 0.1, 1], [0, -1, Infinity]), uniform(g, 1, 50), choice(g, [1e-4, 0], [-1]), cancelFlag(g)],
    asyncOk: true,
    keys: ['A', 'M', 'w', 'n', 'k', 'reg', 'maxIter', 'tol', 'cancel'],
  };
};

const lazySinkhorn: Build = (g, m) => {
  const n = size(g, 6), k = size(g, 6), d = size(g, 3);
  const f64 = chance(g, 0.5);
  return {
    args: [rawArray(g, len(g, n * d), m, { f64 }), rawArray(g, len(g, k * d), m, { f64 }), sampleWeights(g, n, m, f64), sampleWeights(g, k, m, f64),
      n, k, d, choice(g, [0.1, 1, 10], [0, -1, Infinity]), uniform(g, 1, 50), choice(g, [1e-9, 0], [-1]), choice(g, [0, 1, 3, 64], [-1]),
      chance(g, 0.5), chance(g, 0.3), cancelFlag(g), progressSlot(g)],
    asyncOk: true,
    keys: ['x', 'y', 'a', 'b', 'n', 'm', 'd', 'reg', 'maxIter', 'tol', 'tile', 'grad', 'linearGrad', 'cancel', 'progress'],
  };
};

// The buffer helpers (cudaAlloc, cudaUpload, cudaDownload); the ops' CUDA Jobs share the CPU exports fuzzed above.
const CUDA_EXPORTS = Object.keys(addon).filter((k) => k.startsWith('cuda') && !k.endsWith('Async') && k !== 'cudaAvailable');
const junkOrArray = (g: Gen, m: Mode): unknown => (chance(g, 0.5) ? rawArray(g, 4, m) : pick(g, ...JUNK));
const cuda: Build = (g, m) => ({ args: Array.from({ length: uniform(g, 0, 3) }, () => junkOrArray(g, m)), asyncOk: true });

// A forward's history handle (sometimes freed already), or junk: anything but a live handle is a no-op.
const releaseHistory: Build = (g, m) => {
  const kind = pick(g, 'handle', 'junk', 'array');
  let arg: unknown = kind === 'array' ? rawArray(g, 4, m) : pick(g, ...JUNK);
  if (kind === 'handle') {
    try {
      arg = (addon.sinkhornSolve(asOptions([...PROBLEM_KEYS, 'maxIter', 'tol', 'record'], [...problemHead(g, 'clean'), 5, 1e-9, 'history'])) as { history: unknown }).history;
      if (chance(g, 0.3)) addon.releaseHistory(arg);
    } catch {
      // an invalid head: release junk instead
    }
  }
  return { args: [arg], asyncOk: false };
};

const info: Build = (g) => ({ args: Array.from({ length: uniform(g, 0, 2) }, () => pick(g, ...JUNK)), asyncOk: false });

const BUILDERS: readonly [number, string, Build][] = [
  [4, 'distForward', dist], [3, 'distBackward', distBackward], [5, 'sinkhornSolve', sinkhornSolve], [4, 'sinkhornBackward', sinkhornBackward], [2, 'sinkhornPlan', sinkhornPlan],
  [4, 'dualLoss', dualLoss], [3, 'dualPlan', dualPlan], [4, 'solveBatch', solveBatch], [3, 'solveBatchBackward', solveBatchBackward], [2, 'solveBatchPlan', solveBatchPlan],
  [3, 'dualAscent', dualAscent], [2, 'optimStep', optimStep], [1, 'dualPrepare', dualPrepare],
  [3, 'emdSolve', emdSolve], [2, 'emdBatch', emdBatch], [3, 'distBatch', distBatch], [2, 'distBatchBackward', distBatchBackward],
  [3, 'wasserstein1d', wasserstein1d], [2, 'emd1d', emd1d], [2, 'matmul', matmul],
  [3, 'slicedWasserstein', slicedWasserstein], [3, 'mmUnbalanced', mmUnbalanced], [3, 'lazySinkhorn', lazySinkhorn],
  [3, 'barycenterBregman', barycenterBregman],
  [1, 'releaseHistory', releaseHistory], [2, 'cuda', cuda], [1, 'backendInfo', info], [1, 'cudaAvailable', info],
];

/** The raw exports this fuzzer calls (so a test can assert every export is covered). */
export function coveredExports(): string[] {
  const names = new Set<string>();
  for (const [, name] of BUILDERS) {
    if (name === 'cuda') CUDA_EXPORTS.forEach((c) => names.add(c).add(`${c}Async`));
    else names.add(name).add(`${name}Async`);
  }
  return [...names].filter((n) => n in addon);
}

function diverged(r: unknown): boolean {
  const status = (r as { status?: unknown } | null)?.status;
  return status === 'diverged' || (status instanceof Int32Array && status.includes(2));
}

/** One raw-addon call. */
export function nativeCase(g: Gen): FuzzCase {
  const total = BUILDERS.reduce((s, [w]) => s + w, 0);
  let r = uniform(g, 0, total - 1);
  let entry = BUILDERS[0]!;
  for (const b of BUILDERS) {
    if (r < b[0]) {
      entry = b;
      break;
    }
    r -= b[0];
  }
  const [, base, build] = entry;
  const m = mode(g);
  const { args: built, asyncOk, keys } = build(g, m);
  const mutated = mutate(g, built);
  // Now and then the options object itself is what goes wrong.
  const args = keys === undefined ? mutated : chance(g, 0.05) ? mutated : [asOptions(keys, mutated)];
  let name = base === 'cuda' ? pick(g, ...CUDA_EXPORTS) : base;
  if (asyncOk && chance(g, 0.3) && `${name}Async` in addon) name = `${name}Async`;
  const fn = addon[name] as (...a: unknown[]) => unknown;
  const finite = allFinite(...mutated.filter((a) => typeof a !== 'object' || a === null || ArrayBuffer.isView(a)));
  return {
    label: `addon.${name}`,
    inputs: args,
    // The solvers report overflow as status 'diverged' (per problem for solveBatch: 2).
    finite: (r) => finite && !diverged(r),
    run: () => fn(...args),
  };
}
