// Axis limits and tick formats: matplotlib's autoscaling (data limits padded by 5 %, not rounded to nice
// numbers) and a scientific tick format for very small or large values (e.g. timings of 3e-3 s).
import { AXES } from './style.js';

/** Pads [lo, hi] by `margin` of its span; a zero span widens like matplotlib's nonsingular limits. */
export function paddedDomain(lo: number, hi: number, margin: number): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi === lo) {
    const d = lo === 0 ? 0.05 : Math.abs(lo) * 0.05;
    return [lo - d, hi + d];
  }
  const pad = (hi - lo) * margin;
  return [lo - pad, hi + pad];
}

const STEPS = [1, 2, 2.5, 5, 10];

/**
 * Tick positions of matplotlib's MaxNLocator(nbins, steps=[1, 2, 2.5, 5, 10]): the smallest nice step giving at
 * most `nbins` intervals over [lo, hi], and its multiples inside [lo, hi].
 */
export function niceTicks(lo: number, hi: number, nbins: number): { values: number[]; step: number } {
  const span = hi - lo;
  const scale = 10 ** Math.floor(Math.log10(span / nbins));
  const raw = span / nbins;
  // a tiny tolerance keeps exact fits (span/nbins == step) on the smaller step, as float error could push them up
  const step = STEPS.map((s) => s * scale).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * scale;
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const values: number[] = [];
  for (let k = first; k <= last; k++) values.push(k * step + 0); // + 0 turns -0 into 0
  return { values, step };
}

/** matplotlib's tick space: one interval per 3 font sizes along x, per 2 along y, at most 9. */
export function tickBins(lengthPx: number, axis: 'x' | 'y', fontSizePx: number): number {
  return Math.min(9, Math.max(1, Math.floor(lengthPx / ((axis === 'x' ? 3 : 2) * fontSizePx))));
}

/** Digits after the decimal point needed to write `x` exactly (up to 12). */
export function decimals(x: number): number {
  for (let p = 0; p < 12; p++) {
    const scaled = Math.abs(x) * 10 ** p;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return p;
  }
  return 12;
}

/**
 * d3 format giving every tick the same number of digits, like matplotlib's ScalarFormatter: fixed-point
 * ('.2f' for a step of 0.25), or scientific ('.1e', '.2e', …) when the largest magnitude is below 1e-2 or at
 * least 1e5 (e.g. timings of 3e-3 s).
 */
export function tickFormat(domain: readonly [number, number], step: number): string {
  const big = Math.max(Math.abs(domain[0]), Math.abs(domain[1]));
  if (big !== 0 && (big < 1e-2 || big >= 1e5)) {
    const exp = Math.floor(Math.log10(big));
    return `.${Math.min(6, Math.max(1, decimals(step / 10 ** exp)))}e`;
  }
  return `.${decimals(step)}f`;
}

/** Domain of one axis from the layers' limits, or the user's fixed limits. */
export function axisDomain(
  limits: readonly (readonly [number, number])[], fixed: readonly [number, number] | null, tight: boolean,
): [number, number] {
  if (fixed) return [fixed[0], fixed[1]];
  if (limits.length === 0) return [0, 1];
  const lo = Math.min(...limits.map((l) => l[0]));
  const hi = Math.max(...limits.map((l) => l[1]));
  return paddedDomain(lo, hi, tight ? 0 : AXES.margin);
}
