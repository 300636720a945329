// A matrix between two 1-D histograms (POT: ot.plot.plot1D_mat, style 'yx'): the source histogram a on
// the left (drawn downwards, reversed), the target b on top, and the matrix M (a cost or a plan) as an
// image in between, sharing their axes; the title goes under the matrix.
import { checkOptions, fail } from '../utils/validate.js';
import { toMatrix, toVector, type MatrixLike, type VectorLike } from './data.js';
import type { Figure } from './figure.js';
import type { VlSpec } from './layer.js';
import { CMAPS, ImageLayer, type Cmap } from './marks/image.js';
import { AXES, FONT, LINE_WIDTH, resolveColor } from './style.js';
import { checkOneOf } from '../core/validate.js';

export interface Plot1DMatOptions {
  /** Text under the matrix (POT's `title`). */
  title?: string;
  /** Titles over the histograms (POT's a_label, b_label; default none). */
  aLabel?: string;
  bLabel?: string;
  /** Histogram colours (POT's defaults: blue source, red target). */
  colorSource?: string;
  colorTarget?: string;
  /** The matrix's colormap (POT's coupling_cmap, default 'gray_r'). */
  cmap?: Cmap;
}

function histogram(values: Float64Array, color: string, vertical: boolean, width: number, height: number, label: string | undefined): VlSpec {
  const n = values.length;
  const data = Array.from(values, (v, i) => (vertical ? { x: v, y: i } : { x: i, y: v }));
  const index = { scale: { domain: [-0.5, n - 0.5], nice: false, zero: false, ...(vertical ? { reverse: true } : {}) }, axis: null };
  const value = { scale: { zero: true, nice: false, ...(vertical ? { reverse: true } : {}) }, axis: null };
  const encoding: VlSpec = {
    x: { field: 'x', type: 'quantitative', ...(vertical ? value : index) },
    y: { field: 'y', type: 'quantitative', ...(vertical ? index : value) },
    order: { field: vertical ? 'y' : 'x' },
  };
  const spec: VlSpec = {
    width, height,
    data: { values: data },
    encoding,
    layer: [
      { mark: { type: 'area', color, opacity: 0.5, ...(vertical ? { orient: 'horizontal' } : {}) } },
      { mark: { type: 'line', color, strokeWidth: 2 * LINE_WIDTH / 1.5 } },
    ],
  };
  if (label) spec['title'] = label;
  return spec;
}

/**
 * Draws M [na, nb] between the histograms a [na] and b [nb] on `fig` (replacing its single axes).
 * @example
 * const fig = ot.plot.figure({ width: 500, height: 500 });
 * ot.plot.plot1DMat(fig, a, b, plan, { title: 'OT matrix G0' });
 * await fig.savePNG('plan.png');
 */
export function plot1DMat(fig: Figure, a: VectorLike, b: VectorLike, M: MatrixLike, options: Plot1DMatOptions = {}): Figure {
  const fn = 'plot1DMat';
  checkOptions(fn, options, ['title', 'aLabel', 'bLabel', 'colorSource', 'colorTarget', 'cmap']);
  const o = options ?? {};
  const av = toVector(fn, 'a', a);
  const bv = toVector(fn, 'b', b);
  const m = toMatrix(fn, 'M', M);
  if (m.rows !== av.length || m.cols !== bv.length) {
    fail('ERR_OT_SHAPE', `${fn}: M has shape [${m.rows}, ${m.cols}] but a has ${av.length} entries and b has ${bv.length}`);
  }
  if (m.rows === 0 || m.cols === 0) fail('ERR_OT_SHAPE', `${fn}: M must be non-empty`);
  for (const [name, v] of [['title', o.title], ['aLabel', o.aLabel], ['bLabel', o.bLabel]] as const) {
    if (v !== undefined && typeof v !== 'string') fail('ERR_OT_ARG', `${fn}: ${name} must be a string, got ${typeof v}`);
  }
  const source = resolveColor(o.colorSource ?? 'b');
  const target = resolveColor(o.colorTarget ?? 'r');
  const cmap = o.cmap === undefined ? 'gray_r' : checkOneOf(fn, 'cmap', o.cmap, CMAPS);
  const image = new ImageLayer(m, cmap).toVegaLite()[0]!;
  return fig.compose((width, height) => {
    // POT's 3 x 3 grid: histograms take one third, the matrix two thirds of each side.
    const pad = 2 * FONT.size;
    const side = Math.max(30, Math.round((width - pad) / 3));
    const top = Math.max(30, Math.round((height - pad - (o.title ? 2 * FONT.size : 0)) / 3));
    const matrix: VlSpec = {
      ...image,
      width: 2 * side,
      height: 2 * top,
      encoding: {
        ...(image['encoding'] as VlSpec),
        x: { field: 'x', type: 'quantitative', scale: { domain: [-0.5, m.cols - 0.5], nice: false, zero: false }, axis: { title: null, grid: false, tickColor: '#000000', labelFontSize: FONT.size } },
        // on the right, so that the matrix's left edge meets the source histogram and lines up with the target's
        y: { field: 'y', type: 'quantitative', scale: { domain: [-0.5, m.rows - 0.5], nice: false, zero: false, reverse: true }, axis: { title: null, orient: 'right', grid: false, tickColor: '#000000', labelFontSize: FONT.size } },
      },
      view: { stroke: '#000000', strokeWidth: AXES.lineWidth },
    };
    if (o.title) matrix['title'] = { text: o.title, orient: 'bottom', fontSize: FONT.titleSize, fontWeight: 'normal', color: '#000000' };
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      background: 'white',
      padding: FONT.size,
      spacing: 0,
      vconcat: [
        { spacing: 0, hconcat: [{ width: side, height: top, data: { values: [] }, mark: { type: 'point', opacity: 0 } }, histogram(bv, target, false, 2 * side, top, o.bLabel)] },
        { spacing: 0, hconcat: [histogram(av, source, true, side, 2 * top, o.aLabel), matrix] },
      ],
      config: {
        aria: false,
        font: FONT.family,
        view: { stroke: null },
        axis: { domain: false, labelColor: '#000000', tickSize: AXES.tickSize },
        title: { fontSize: FONT.size, fontWeight: 'normal', color: '#000000' },
      },
    };
  });
}
