// Transport plan as segments between 2-D samples (POT: ot.plot.plot2D_samples_mat): a segment xs[i] → xt[j]
// for every G[i,j] / max(G) > thr, with opacity alpha · G[i,j] / max(G).
import { checkFiniteNumber, checkNonNegative, checkOptions, fail } from '../utils/validate.js';
import { toMatrix, type MatrixLike } from './data.js';
import type { Figure } from './figure.js';

export interface Plot2DSamplesMatOptions {
  /** Opacity of the segment of the largest plan entry (default 1, POT's `alpha` scale). */
  alpha?: number;
  /** Relative threshold: entries with G / max(G) <= thr are not drawn (default 1e-8). */
  thr?: number;
  /** Segment colour (default black, as in POT). */
  color?: string;
  /** Line width in points (default 1.5). */
  linewidth?: number;
}

/**
 * Draws the plan G between source samples xs [n, 2] and target samples xt [m, 2] onto `fig`.
 * @example
 * const fig = ot.plot.figure({ width: 1000, height: 500, title: 'Source and target distributions' });
 * ot.plot.plot2DSamplesMat(fig, xs, xt, plan, { alpha: 0.1 });
 * fig.scatter(xs, { marker: '+', label: 'Source samples' }).scatter(xt, { marker: 'o', label: 'Target samples' });
 */
export function plot2DSamplesMat(fig: Figure, xs: MatrixLike, xt: MatrixLike, G: MatrixLike, options: Plot2DSamplesMatOptions = {}): Figure {
  const fn = 'plot2DSamplesMat';
  checkOptions(fn, options, ['alpha', 'thr', 'color', 'linewidth']);
  const o = options ?? {};
  const alpha = o.alpha === undefined ? 1 : checkFiniteNumber(fn, 'alpha', o.alpha);
  if (alpha < 0 || alpha > 1) fail('ERR_OT_VALUE', `${fn}: alpha must be in [0, 1], got ${alpha}`);
  const thr = o.thr === undefined ? 1e-8 : checkFiniteNumber(fn, 'thr', o.thr);
  const s = toMatrix(fn, 'xs', xs, 2);
  const t = toMatrix(fn, 'xt', xt, 2);
  const g = toMatrix(fn, 'G', G);
  if (g.rows !== s.rows || g.cols !== t.rows) {
    fail('ERR_OT_SHAPE', `${fn}: G has shape [${g.rows}, ${g.cols}] but xs has ${s.rows} rows and xt has ${t.rows}`);
  }
  checkNonNegative(fn, 'G', g.data);
  let mx = 0;
  for (const v of g.data) if (v > mx) mx = v;
  const coords: number[][] = [];
  const opacity: number[] = [];
  // an all-zero plan draws nothing (POT would divide by zero)
  if (mx > 0) {
    for (let i = 0; i < g.rows; i++) {
      for (let j = 0; j < g.cols; j++) {
        const r = g.data[i * g.cols + j]! / mx;
        if (r > thr) {
          coords.push([s.data[2 * i]!, s.data[2 * i + 1]!, t.data[2 * j]!, t.data[2 * j + 1]!]);
          opacity.push(alpha * r);
        }
      }
    }
  }
  const segOpts: { alpha: number[]; color?: string; linewidth?: number } = { alpha: opacity };
  if (o.color !== undefined) segOpts.color = o.color;
  if (o.linewidth !== undefined) segOpts.linewidth = o.linewidth;
  return fig.segments(coords, segOpts);
}
