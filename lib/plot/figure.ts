// Figure: a matplotlib-like single-axes figure that collects layers (scatter, line, segments, boxplot) and
// renders them offline to SVG and PNG.
import { writeFile } from 'node:fs/promises';
import { OTError } from '../core/errors.js';
import { checkFiniteNumber, checkOneOf, checkOptions, checkPositive, fail } from '../utils/validate.js';
import { toMatrix, toVector, type MatrixLike, type VectorLike } from './data.js';
import { fontSetup } from './fonts.js';
import type { Layer, VlSpec } from './layer.js';
import { LEGEND_LOCS, type LegendLoc } from './legend.js';
import { boxStats } from './marks/boxplot-stats.js';
import { BoxplotLayer } from './marks/boxplot.js';
import { CMAPS, ImageLayer, type Cmap } from './marks/image.js';
import { LineLayer } from './marks/line.js';
import { ScatterLayer } from './marks/scatter.js';
import { SegmentLayer } from './marks/segments.js';
import { MAX_PNG_SIDE, rasterize, renderSVG } from './render.js';
import { buildSpec, type FigureState } from './spec.js';
import { FONT, LINE_WIDTH, MARKER_AREA_PT2, MARKERS, resolveColor, TAB10, type Marker } from './style.js';

export interface FigureOptions {
  /** Width in px of the whole figure (default 640, matplotlib's 6.4 in at 100 dpi). */
  width?: number;
  /** Height in px (default 480). */
  height?: number;
  title?: string;
  xlabel?: string;
  ylabel?: string;
  /** Grid lines at the ticks (default false). */
  grid?: boolean;
  /** Legend position, or false to hide it (default 'best': the corner covering the fewest data). */
  legend?: LegendLoc | false;
  xlim?: readonly [number, number];
  ylim?: readonly [number, number];
  /** d3-format string for x tick labels (default: automatic, scientific for tiny or huge values). */
  xformat?: string;
  yformat?: string;
}

export interface ScatterOptions {
  /** 'o' filled circle (default), '+' or 'x' (stroked). */
  marker?: Marker;
  /** Legend label; labelled layers appear in the legend. */
  label?: string;
  /** CSS or matplotlib colour ('C0', 'k', 'tab:orange'); default: next colour of the tab10 cycle. */
  color?: string;
  /** Marker area in points², matplotlib's `s` (default 36). */
  size?: number;
  /** Opacity in [0, 1] (default 1). */
  alpha?: number;
}

export interface LineOptions {
  /** x coordinates (default 0, 1, …, n-1). */
  x?: VectorLike;
  label?: string;
  color?: string;
  alpha?: number;
  /** Line width in points (default 1.5). */
  linewidth?: number;
}

export interface SegmentsOptions {
  /** One opacity per segment, or one for all (default 1). */
  alpha?: VectorLike | number;
  /** Default black, like plot2D_samples_mat. */
  color?: string;
  label?: string;
  linewidth?: number;
}

export interface ImageOptions {
  /** Colormap over [min, max] of the matrix: 'gray_r' (default, POT's plot1D_mat), 'gray' or 'viridis'. */
  cmap?: Cmap;
}

export interface BoxplotOptions {
  /** Draw the points beyond the whiskers (default false). */
  showfliers?: boolean;
  /** Whisker reach in IQRs (default 1.5). */
  whis?: number;
}

export interface SaveOptions {
  /**
   * Pixel density multiplier of the PNG (default 1: 640x480 px for a default figure). The PNG may be at
   * most 16384 pixels on a side and 2^26 (64 M) pixels in all (ERR_OT_ARG).
   */
  scale?: number;
}

function checkSide(fn: string, name: string, v: unknown): number {
  const x = checkPositive(fn, name, v);
  if (x > MAX_PNG_SIDE) fail('ERR_OT_ARG', `${fn}: ${name} must be at most ${MAX_PNG_SIDE} px, got ${x}`);
  return x;
}

/** Writes a figure file; a file-system failure becomes an OTError that keeps it as `cause`. */
async function save(fn: string, path: string, data: string | Buffer): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new OTError(`${fn}: cannot write '${path}' (${code}): ${(e as Error).message}`, 'ERR_OT_ARG', { cause: e });
  }
}

const FIGURE_KEYS = ['width', 'height', 'title', 'xlabel', 'ylabel', 'grid', 'legend', 'xlim', 'ylim', 'xformat', 'yformat'] as const;

function checkText(fn: string, name: string, v: unknown): string {
  if (typeof v !== 'string') fail('ERR_OT_ARG', `${fn}: ${name} must be a string, got ${typeof v}`);
  return v;
}

function checkBoolean(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail('ERR_OT_ARG', `${fn}: ${name} must be a boolean, got ${typeof v}`);
  return v;
}

function checkAlpha(fn: string, v: unknown): number {
  const a = checkFiniteNumber(fn, 'alpha', v);
  if (a < 0 || a > 1) fail('ERR_OT_VALUE', `${fn}: alpha must be in [0, 1], got ${a}`);
  return a;
}

function checkLimits(fn: string, name: string, v: unknown): readonly [number, number] {
  if (!Array.isArray(v) || v.length !== 2) fail('ERR_OT_ARG', `${fn}: ${name} must be a [min, max] pair`);
  const lo = checkFiniteNumber(fn, `${name}[0]`, v[0]);
  const hi = checkFiniteNumber(fn, `${name}[1]`, v[1]);
  if (!(hi > lo)) fail('ERR_OT_VALUE', `${fn}: ${name} must have min < max, got [${lo}, ${hi}]`);
  return [lo, hi];
}

/**
 * A single-axes figure. Add layers, then render; every method that adds or sets returns the figure.
 * @example
 * const fig = ot.plot.figure({ title: 'Source and target distributions' });
 * fig.scatter(xs, { marker: '+', label: 'Source samples' }).scatter(xt, { marker: 'o', label: 'Target samples' });
 * await fig.savePNG('/tmp/samples.png');
 */
export class Figure {
  private readonly state: FigureState;
  private cycle = 0;

  constructor(options: FigureOptions = {}) {
    const fn = 'figure';
    checkOptions(fn, options, FIGURE_KEYS);
    const o = options ?? {};
    this.state = {
      width: o.width === undefined ? 640 : checkSide(fn, 'width', o.width),
      height: o.height === undefined ? 480 : checkSide(fn, 'height', o.height),
      title: o.title === undefined ? null : checkText(fn, 'title', o.title),
      xlabel: o.xlabel === undefined ? null : checkText(fn, 'xlabel', o.xlabel),
      ylabel: o.ylabel === undefined ? null : checkText(fn, 'ylabel', o.ylabel),
      grid: o.grid === undefined ? false : checkBoolean(fn, 'grid', o.grid),
      legend: o.legend === false ? false : o.legend === undefined ? 'best' : checkOneOf(fn, 'legend', o.legend, LEGEND_LOCS),
      xlim: o.xlim === undefined ? null : checkLimits(fn, 'xlim', o.xlim),
      ylim: o.ylim === undefined ? null : checkLimits(fn, 'ylim', o.ylim),
      xformat: o.xformat === undefined ? null : checkText(fn, 'xformat', o.xformat),
      yformat: o.yformat === undefined ? null : checkText(fn, 'yformat', o.yformat),
      xticks: null,
      layers: [],
    };
  }

  /** Layers added so far, in drawing order. */
  get layers(): readonly Layer[] {
    return this.state.layers;
  }

  /** The colour for a new layer: the user's, or the next of the tab10 cycle (an explicit colour does not advance it). */
  private colorFor(fn: string, color: string | undefined): string {
    if (color !== undefined) return resolveColor(checkText(fn, 'color', color));
    return TAB10[this.cycle++ % TAB10.length]!;
  }

  /**
   * Scatter plot of the rows of an [n, 2] point set (matplotlib's pl.scatter).
   * @example fig.scatter(Xs, { marker: '+', label: 'Source samples' });
   */
  scatter(X: MatrixLike, options: ScatterOptions = {}): this {
    const fn = 'scatter';
    checkOptions(fn, options, ['marker', 'label', 'color', 'size', 'alpha']);
    const o = options ?? {};
    const points = toMatrix(fn, 'X', X, 2);
    const marker = o.marker === undefined ? 'o' : checkOneOf(fn, 'marker', o.marker, MARKERS);
    const size = o.size === undefined ? MARKER_AREA_PT2 : checkPositive(fn, 'size', o.size);
    const alpha = o.alpha === undefined ? 1 : checkAlpha(fn, o.alpha);
    const label = o.label === undefined ? null : checkText(fn, 'label', o.label);
    this.state.layers.push(new ScatterLayer(points, { marker, color: this.colorFor(fn, o.color), size, alpha, label }));
    return this;
  }

  /**
   * Line through (x[i], ys[i]) in order (matplotlib's pl.plot), e.g. a loss curve.
   * @example fig.line(losses, { label: 'dual objective' }).grid(true).xlabel('Iterations');
   */
  line(ys: VectorLike, options: LineOptions = {}): this {
    const fn = 'line';
    checkOptions(fn, options, ['x', 'label', 'color', 'alpha', 'linewidth']);
    const o = options ?? {};
    const y = toVector(fn, 'ys', ys);
    const x = o.x === undefined ? Float64Array.from(y, (_, i) => i) : toVector(fn, 'x', o.x);
    if (x.length !== y.length) fail('ERR_OT_SHAPE', `${fn}: x has ${x.length} entries but ys has ${y.length}`);
    const alpha = o.alpha === undefined ? 1 : checkAlpha(fn, o.alpha);
    const width = o.linewidth === undefined ? LINE_WIDTH : checkPositive(fn, 'linewidth', o.linewidth) * (100 / 72);
    const label = o.label === undefined ? null : checkText(fn, 'label', o.label);
    this.state.layers.push(new LineLayer(x, y, { color: this.colorFor(fn, o.color), alpha, width, label }));
    return this;
  }

  /**
   * Independent segments, rows [x0, y0, x1, y1] of a [k, 4] matrix, each with its own opacity
   * (matplotlib's LineCollection); plot2DSamplesMat draws a transport plan with it.
   * @example fig.segments([[0, 0, 1, 1], [0, 1, 1, 0]], { alpha: [1, 0.3] });
   */
  segments(coords: MatrixLike, options: SegmentsOptions = {}): this {
    const fn = 'segments';
    checkOptions(fn, options, ['alpha', 'color', 'label', 'linewidth']);
    const o = options ?? {};
    const m = toMatrix(fn, 'coords', coords, 4);
    let opacity: Float64Array;
    if (o.alpha === undefined || typeof o.alpha === 'number') {
      opacity = new Float64Array(m.rows).fill(o.alpha === undefined ? 1 : checkAlpha(fn, o.alpha));
    } else {
      opacity = toVector(fn, 'alpha', o.alpha);
      if (opacity.length !== m.rows) fail('ERR_OT_SHAPE', `${fn}: alpha has ${opacity.length} entries but coords has ${m.rows} rows`);
      for (const [k, a] of opacity.entries()) if (a < 0 || a > 1) fail('ERR_OT_VALUE', `${fn}: alpha must be in [0, 1], but entry ${k} is ${a}`);
    }
    const color = resolveColor(o.color === undefined ? 'k' : checkText(fn, 'color', o.color));
    const width = o.linewidth === undefined ? LINE_WIDTH : checkPositive(fn, 'linewidth', o.linewidth) * (100 / 72);
    const label = o.label === undefined ? null : checkText(fn, 'label', o.label);
    this.state.layers.push(new SegmentLayer({ coords: m.data, opacity }, { color, width, label }));
    return this;
  }

  /**
   * Box-and-whisker plot of several groups (matplotlib's pl.boxplot(groups, tick_labels=labels, showfliers=False)):
   * boxes at x = 1…n labelled by `labels`, whiskers at the furthest data within 1.5 IQR.
   * @example fig.boxplot([tAutodiff, tEnvelope, tLastStep], ['autodiff', 'envelope', 'last_step']).ylabel('Time (s)');
   */
  boxplot(groups: readonly VectorLike[], labels: readonly string[], options: BoxplotOptions = {}): this {
    const fn = 'boxplot';
    checkOptions(fn, options, ['showfliers', 'whis']);
    const o = options ?? {};
    if (!Array.isArray(groups) || groups.length === 0) fail('ERR_OT_ARG', `${fn}: groups must be a non-empty array of arrays`);
    if (!Array.isArray(labels)) fail('ERR_OT_ARG', `${fn}: labels must be an array of strings`);
    if (labels.length !== groups.length) fail('ERR_OT_SHAPE', `${fn}: labels has ${labels.length} entries but groups has ${groups.length}`);
    labels.forEach((l, i) => checkText(fn, `labels[${i}]`, l));
    const whis = o.whis === undefined ? 1.5 : checkPositive(fn, 'whis', o.whis);
    const stats = groups.map((g, i) => {
      const v = toVector(fn, `groups[${i}]`, g);
      if (v.length === 0) fail('ERR_OT_VALUE', `${fn}: groups[${i}] is empty`);
      return boxStats(v, whis);
    });
    const showfliers = o.showfliers === undefined ? false : checkBoolean(fn, 'showfliers', o.showfliers);
    this.state.layers.push(new BoxplotLayer(stats, labels, { showfliers }));
    return this;
  }

  /**
   * A matrix as an image, one cell per entry with row 0 at the top (matplotlib's
   * pl.imshow(M, interpolation='nearest')); the axes fit the image.
   * @example fig.image(plan, { cmap: 'viridis' });
   */
  image(M: MatrixLike, options: ImageOptions = {}): this {
    const fn = 'image';
    checkOptions(fn, options, ['cmap']);
    const m = toMatrix(fn, 'M', M);
    if (m.rows === 0 || m.cols === 0) fail('ERR_OT_SHAPE', `${fn}: M must be non-empty, got [${m.rows}, ${m.cols}]`);
    const cmap = options?.cmap === undefined ? 'gray_r' : checkOneOf(fn, 'cmap', options.cmap, CMAPS);
    this.state.layers.push(new ImageLayer(m, cmap));
    return this;
  }

  /** Shows or hides grid lines at the ticks (matplotlib's pl.grid()). */
  grid(on = true): this {
    this.state.grid = checkBoolean('grid', 'on', on);
    return this;
  }
  title(text: string): this {
    this.state.title = checkText('title', 'text', text);
    return this;
  }
  xlabel(text: string): this {
    this.state.xlabel = checkText('xlabel', 'text', text);
    return this;
  }
  ylabel(text: string): this {
    this.state.ylabel = checkText('ylabel', 'text', text);
    return this;
  }
  xlim(min: number, max: number): this {
    this.state.xlim = checkLimits('xlim', 'limits', [min, max]);
    return this;
  }
  ylim(min: number, max: number): this {
    this.state.ylim = checkLimits('ylim', 'limits', [min, max]);
    return this;
  }
  /** Legend position ('best', a corner such as 'upper left', or 'outside'), or false to hide it. */
  legend(loc: LegendLoc | false = 'best'): this {
    this.state.legend = loc === false ? false : checkOneOf('legend', 'loc', loc, LEGEND_LOCS);
    return this;
  }
  /** Fixed x ticks with labels (matplotlib's pl.xticks(values, labels)). */
  xticks(values: readonly number[], labels: readonly string[]): this {
    if (values.length !== labels.length) fail('ERR_OT_SHAPE', `xticks: values has ${values.length} entries but labels has ${labels.length}`);
    values.forEach((v, i) => checkFiniteNumber('xticks', `values[${i}]`, v));
    labels.forEach((l, i) => checkText('xticks', `labels[${i}]`, l));
    this.state.xticks = { values: [...values], labels: [...labels] };
    return this;
  }

  /**
   * @internal Replaces the single axes by a composed spec of several panels (plot1DMat's), built at
   * render time for the figure's size.
   */
  compose(build: (width: number, height: number) => VlSpec): this {
    this.composed = build;
    return this;
  }
  private composed: ((width: number, height: number) => VlSpec) | null = null;

  /** The vega-lite spec of the figure (e.g. to show it with vega-embed in a browser). */
  toSpec(): VlSpec {
    if (this.composed !== null) return this.composed(this.state.width, this.state.height);
    const { measure } = fontSetup();
    return buildSpec(this.state, (text) => measure(text, FONT.size, false));
  }

  /**
   * Renders the figure to an SVG document. Asynchronous because vega's renderer is.
   * @example const svg = await fig.toSVG();
   */
  toSVG(): Promise<string> {
    return renderSVG(this.toSpec());
  }

  /** Renders the figure to PNG bytes, `scale` × the figure size in pixels. */
  async toPNG(options: SaveOptions = {}): Promise<Buffer> {
    checkOptions('toPNG', options, ['scale']);
    const scale = options?.scale === undefined ? 1 : checkPositive('toPNG', 'scale', options.scale);
    return (await rasterize(await this.toSVG(), scale, 'toPNG')).png;
  }

  /** @example await fig.savePNG('/tmp/plan.png', { scale: 2 }); */
  async savePNG(path: string, options: SaveOptions = {}): Promise<void> {
    await save('savePNG', checkText('savePNG', 'path', path), await this.toPNG(options));
  }

  /** @example await fig.saveSVG('/tmp/plan.svg'); */
  async saveSVG(path: string): Promise<void> {
    await save('saveSVG', checkText('saveSVG', 'path', path), await this.toSVG());
  }
}

/**
 * A new figure (matplotlib's pl.figure()).
 * @example
 * const fig = ot.plot.figure({ width: 640, height: 320, title: 'Dual objective (negative)' });
 * fig.line(losses).grid(true).xlabel('Iterations');
 * await fig.savePNG('loss.png');
 */
export function figure(options: FigureOptions = {}): Figure {
  return new Figure(options);
}
