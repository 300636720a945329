// A matrix drawn as an image (matplotlib's imshow(M, interpolation='nearest')): one cell per entry, row 0
// at the top, coloured by a colormap over [min, max]; what plot1DMat shows a cost matrix or a plan with.
import type { Extent, Layer, VlSpec } from '../layer.js';
import type { Matrix } from '../data.js';

/** Colormaps by matplotlib's names: 'gray_r' (0 white, max black, POT's plot1D_mat), 'gray', 'viridis'. */
export const CMAPS = ['gray_r', 'gray', 'viridis'] as const;
export type Cmap = (typeof CMAPS)[number];

// viridis at 9 stops (matplotlib's), interpolated linearly between them.
const VIRIDIS = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
] as const;

function hex(r: number, g: number, b: number): string {
  const h = (v: number) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, '0');
  return `#${h(r)}${h(g)}${h(b)}`;
}

/** The colour of t in [0, 1]. */
export function colormap(cmap: Cmap, t: number): string {
  if (cmap === 'gray_r') return hex(255 * (1 - t), 255 * (1 - t), 255 * (1 - t));
  if (cmap === 'gray') return hex(255 * t, 255 * t, 255 * t);
  const x = t * (VIRIDIS.length - 1);
  const k = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - k;
  const [p, q] = [VIRIDIS[k]!, VIRIDIS[k + 1]!];
  return hex(p[0] + f * (q[0] - p[0]), p[1] + f * (q[1] - p[1]), p[2] + f * (q[2] - p[2]));
}

export class ImageLayer implements Layer {
  readonly legend = null;
  readonly xticks = null;

  constructor(private readonly m: Matrix, private readonly cmap: Cmap) {}

  extent(): Extent {
    return { x: [-0.5, this.m.cols - 0.5], y: [-0.5, this.m.rows - 0.5], tightX: true, tightY: true, flipY: true };
  }

  *anchors(): Iterable<readonly [number, number]> {
    // the image covers the whole axes: the legend goes where it must
  }

  toVegaLite(): VlSpec[] {
    const { rows, cols, data } = this.m;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const span = hi > lo ? hi - lo : 1;
    const values: Record<string, number | string>[] = [];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        values.push({ x: j - 0.5, x2: j + 0.5, y: i - 0.5, y2: i + 0.5, c: colormap(this.cmap, (data[i * cols + j]! - lo) / span) });
      }
    }
    return [{
      data: { values },
      // Each cell also stroked in its own colour: without it anti-aliasing leaves seams between cells.
      mark: { type: 'rect', strokeWidth: 0.6, clip: true },
      encoding: {
        x2: { field: 'x2' },
        y2: { field: 'y2' },
        fill: { field: 'c', type: 'nominal', scale: null, legend: null },
        stroke: { field: 'c', type: 'nominal', scale: null, legend: null },
      },
    }];
  }
}
