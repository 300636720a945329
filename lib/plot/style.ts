// matplotlib's default look (rcParams of matplotlib 3.x) expressed in vega pixels: the figure is laid out at
// 100 px per inch like matplotlib's savefig default, so a 640x480 figure matches pl.figure()'s 6.4x4.8 in.
import { fail } from '../core/validate.js';

/** Pixels per typographic point at 100 dpi. */
export const PX_PER_PT = 100 / 72;
export const pt = (points: number): number => points * PX_PER_PT;

/** matplotlib's default colour cycle ('tab10'), used in order by scatter and line calls without a colour. */
export const TAB10: readonly string[] = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
  '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
];

const TAB10_NAMES = ['blue', 'orange', 'green', 'red', 'purple', 'brown', 'pink', 'gray', 'olive', 'cyan'];

/** matplotlib's one-letter base colours. */
const BASE_COLORS: Readonly<Record<string, string>> = {
  b: '#0000ff', g: '#008000', r: '#ff0000', c: '#00bfbf', m: '#bf00bf', y: '#bfbf00', k: '#000000', w: '#ffffff',
};

/** Resolves matplotlib colour names ('k', 'C1', 'tab:orange') to CSS; anything else is passed through as CSS. */
export function resolveColor(color: string): string {
  // Own names only: 'constructor' or 'toString' must not resolve to Object.prototype's functions (and
  // are no CSS colours either: vega's own name lookups trip over them).
  if (color in Object.prototype) fail('ERR_OT_ARG', `color: '${color}' is not a colour name`);
  const base = Object.hasOwn(BASE_COLORS, color) ? BASE_COLORS[color] : undefined;
  if (base !== undefined) return base;
  const cycle = /^C(\d)$/.exec(color);
  if (cycle) return TAB10[Number(cycle[1])]!;
  if (color.startsWith('tab:')) {
    const k = TAB10_NAMES.indexOf(color.slice(4));
    if (k >= 0) return TAB10[k]!;
  }
  return color;
}

/** Font sizes (px) of matplotlib's defaults: font.size 10 pt, axes.titlesize 'large' (12 pt). */
export const FONT = {
  family: 'DejaVu Sans',
  size: pt(10),
  titleSize: pt(12),
} as const;

export const AXES = {
  /** axes.linewidth, also the frame (spines) width. */
  lineWidth: pt(0.8),
  tickSize: pt(3.5),
  tickPad: pt(3.5),
  labelPad: pt(4),
  titlePad: pt(6),
  gridColor: '#b0b0b0',
  gridWidth: pt(0.8),
  /** axes.xmargin / axes.ymargin: data limits are padded by this fraction of their span. */
  margin: 0.05,
} as const;

export const LINE_WIDTH = pt(1.5);

/** Default scatter marker area in points², matplotlib's rcParams['lines.markersize'] ** 2. */
export const MARKER_AREA_PT2 = 36;
export const MARKER_EDGE_WIDTH = pt(1);

/** Converts a matplotlib marker area (points²) to vega's symbol size (px², the square the symbol fills). */
export const markerSize = (areaPt2: number): number => areaPt2 * PX_PER_PT * PX_PER_PT;

export type Marker = 'o' | '+' | 'x';
export const MARKERS: readonly Marker[] = ['o', '+', 'x'];

/** Vega symbol shapes; '+' and 'x' are stroked paths in vega's [-1, 1] symbol box, like matplotlib's thin markers. */
export const MARKER_SHAPES: Readonly<Record<Marker, { shape: string; filled: boolean }>> = {
  o: { shape: 'circle', filled: true },
  '+': { shape: 'M-1,0H1M0,-1V1', filled: false },
  x: { shape: 'M-1,-1L1,1M-1,1L1,-1', filled: false },
};

/**
 * Legend handle of lines and segments: matplotlib draws a 2 em stroke. A flat path (not vega's 'stroke' shape,
 * whose bounds are square) keeps the legend row as tall as its text.
 */
export const LINE_HANDLE = { shape: 'M-1,0H1', size: (2 * pt(10)) ** 2 } as const;

/** Legend frame: legend.framealpha 0.8, legend.edgecolor '0.8', rounded (fancybox). */
export const LEGEND = {
  fill: 'rgba(255,255,255,0.8)',
  stroke: '#cccccc',
  cornerRadius: pt(2),
  padding: 0.4 * FONT.size,
  rowGap: 0.5 * FONT.size,
  symbolLength: 2 * FONT.size,
  symbolGap: 0.8 * FONT.size,
  offset: 0.5 * FONT.size,
} as const;

/** boxplot.* rcParams: black 1 pt box and whiskers, median in C1, fliers as hollow circles. */
export const BOX = {
  color: '#000000',
  lineWidth: pt(1),
  medianColor: TAB10[1]!,
  flierArea: 36,
} as const;
