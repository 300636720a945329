// Reg annealing for entropic solves (epsilon scaling, as GeomLoss and OTT-JAX; POT has it only as
// ot.bregman.sinkhorn_epsilon_scaling): Sinkhorn at regInit, regInit·decay, ... and finally at reg, each
// stage warm-started from the previous stage's potentials. A cold solve's iteration count grows like
// 1/reg; each annealed stage starts close to its own solution, so small reg costs far fewer iterations.
import { backendFor, type SinkhornInput, type SinkhornOutput } from '../backend/index.js';
import { checkOptions, checkPositive, fail, show } from '../core/validate.js';
import type { Device } from '../core/vocabulary.js';
import type { Tensor } from '../tensor/tensor.js';

/** The user's option: true (defaults) or { regInit?, decay? }. */
export interface EpsScalingOptions {
  /** The first stage's reg (default: the largest |M_ij|, the cost's scale). */
  regInit?: number;
  /** Factor between stages, in (0, 1) (default 0.5). */
  decay?: number;
}

export interface EpsScaling {
  regInit: number;
  decay: number;
}

// The intermediate stages only need to bring the potentials near their solution: they stop at this
// marginal error (or the call's tol when looser); only the last stage is held to tol. Measured on
// 300 x 300 (bench/unbalanced.ts): 1e-5 beats both one iteration per stage (GeomLoss) and 1e-3.
const STAGE_TOL = 1e-5;

function largestAbs(M: Tensor): number {
  const d = M.data;
  let top = 0;
  for (let i = 0; i < d.length; i++) top = Math.max(top, Math.abs(d[i]!));
  return top;
}

/** The annealing the call asked for, or null (the option omitted or false). */
export function resolveEpsScaling(fn: string, v: unknown, M: Tensor, device: Device): EpsScaling | null {
  if (v === undefined || v === null || v === false) return null;
  if (v !== true && (typeof v !== 'object' || Array.isArray(v))) {
    fail('ERR_OT_ARG', `${fn}: epsScaling must be true or an object { regInit?, decay? }, got ${show(v)}`);
  }
  if (device !== 'cpu') fail('ERR_OT_DEVICE', `${fn}: epsScaling runs on the CPU only for now, got M on '${device}'`);
  const o = (v === true ? {} : v) as EpsScalingOptions;
  checkOptions(`${fn} (epsScaling)`, o, ['regInit', 'decay']);
  const regInit = o.regInit === undefined ? largestAbs(M) : checkPositive(fn, 'epsScaling.regInit', o.regInit);
  const decay = o.decay ?? 0.5;
  if (typeof decay !== 'number' || !(decay > 0 && decay < 1)) fail('ERR_OT_VALUE', `${fn}: epsScaling.decay must be in (0, 1), got ${show(decay)}`);
  return { regInit, decay };
}

/** The regs of the stages before the last: regInit, regInit·decay, ... while above reg. */
export function stageRegs(reg: number, s: EpsScaling): number[] {
  const out: number[] = [];
  for (let r = s.regInit; r > reg && out.length < 200; r *= s.decay) out.push(r);
  return out;
}

/**
 * Row potentials of a stage at `from` carried to the next stage at `to`: the dual potential
 * reg·(u − o) is what carries over, o = log a for KL (the plan is a b e^{(φ+ψ−M)/reg}) and 0 for
 * entropy. Zero-weight rows stay −inf.
 */
function carry(u: ArrayLike<number>, aData: Float64Array, kl: boolean, from: number, to: number): Float64Array {
  const out = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) {
    const o = kl && aData[i]! > 0 ? Math.log(aData[i]!) : 0;
    out[i] = Number.isFinite(u[i]!) ? o + ((u[i]! - o) * from) / to : u[i]!;
  }
  return out;
}

/** One stage of the schedule: its input (reg, warm start, stopping rule) given the previous stage's output. */
function stage(p: SinkhornInput, reg: number, last: boolean, prev: { reg: number; out: SinkhornOutput } | null): SinkhornInput {
  const initU = prev === null ? null : carry(prev.out.logU as ArrayLike<number>, p.aData, p.regType === 'KL', prev.reg, reg);
  if (last) return { ...p, initU };
  return { ...p, reg, initU, record: 'none', tol: Math.max(p.tol, STAGE_TOL) };
}

/** The final stage's output with nIter counting the iterations of every stage (POT's convention: last index). */
function total(out: SinkhornOutput, before: number): SinkhornOutput {
  return { ...out, nIter: before + out.nIter };
}

/** Runs the annealed solve on the CPU backend. */
export function annealedSinkhorn(p: SinkhornInput, s: EpsScaling): SinkhornOutput {
  const backend = backendFor('cpu');
  let prev: { reg: number; out: SinkhornOutput } | null = null;
  let iters = 0;
  for (const r of stageRegs(p.reg, s)) {
    const out = backend.sinkhorn(stage(p, r, false, prev));
    iters += out.nIter + 1;
    prev = { reg: r, out };
  }
  return total(backend.sinkhorn(stage(p, p.reg, true, prev)), iters);
}

/** {@link annealedSinkhorn} off the event loop; the signal is honoured by every stage. */
export async function annealedSinkhornAsync(fn: string, p: SinkhornInput, s: EpsScaling, signal: AbortSignal | undefined): Promise<SinkhornOutput> {
  const backend = backendFor('cpu');
  let prev: { reg: number; out: SinkhornOutput } | null = null;
  let iters = 0;
  for (const r of stageRegs(p.reg, s)) {
    const out = await backend.sinkhornAsync(fn, stage(p, r, false, prev), signal);
    iters += out.nIter + 1;
    prev = { reg: r, out };
  }
  return total(await backend.sinkhornAsync(fn, stage(p, p.reg, true, prev), signal), iters);
}
