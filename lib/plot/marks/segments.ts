// Segment collection (matplotlib's LineCollection / repeated pl.plot([x0, x1], [y0, y1])): independent
// straight segments, each with its own opacity — what plot2DSamplesMat draws for a transport plan.
import { range, type Extent, type Layer, type LegendEntry, type SeriesEncoding, type VlSpec } from '../layer.js';
import { LINE_HANDLE } from '../style.js';

/** Segments as interleaved [x0, y0, x1, y1] rows plus one opacity per segment. */
export interface Segments {
  readonly coords: Float64Array;
  readonly opacity: Float64Array;
}

export interface SegmentStyle {
  readonly color: string;
  readonly width: number;
  readonly label: string | null;
}

export class SegmentLayer implements Layer {
  readonly legend: LegendEntry | null;
  readonly xticks = null;

  constructor(private readonly segs: Segments, private readonly style: SegmentStyle) {
    this.legend = style.label === null ? null : {
      label: style.label, stroke: style.color, fill: 'transparent', shape: LINE_HANDLE.shape,
      size: LINE_HANDLE.size, strokeWidth: style.width,
    };
  }

  get count(): number {
    return this.segs.opacity.length;
  }

  extent(): Extent | null {
    if (this.count === 0) return null;
    const c = this.segs.coords;
    const [x0, x1] = range(c, 0, 4);
    const [x2, x3] = range(c, 2, 4);
    const [y0, y1] = range(c, 1, 4);
    const [y2, y3] = range(c, 3, 4);
    return { x: [Math.min(x0, x2), Math.max(x1, x3)], y: [Math.min(y0, y2), Math.max(y1, y3)] };
  }

  *anchors(): Iterable<readonly [number, number]> {
    const c = this.segs.coords;
    for (let k = 0; k < this.count; k++) {
      const [x0, y0, x1, y1] = [c[4 * k]!, c[4 * k + 1]!, c[4 * k + 2]!, c[4 * k + 3]!];
      // faint segments barely hide anything; the midpoint stands for the segment's body
      if (this.segs.opacity[k]! >= 0.05) yield [(x0 + x1) / 2, (y0 + y1) / 2];
    }
  }

  toVegaLite(series: SeriesEncoding): VlSpec[] {
    const c = this.segs.coords;
    const label = this.style.label;
    const values = Array.from(this.segs.opacity, (o, k) => {
      const row: Record<string, number | string> = { x: c[4 * k]!, y: c[4 * k + 1]!, x2: c[4 * k + 2]!, y2: c[4 * k + 3]!, o };
      if (label !== null) row['series'] = label;
      return row;
    });
    const mark: VlSpec = { type: 'rule', strokeWidth: this.style.width, clip: true };
    if (label === null) mark['stroke'] = this.style.color;
    const encoding: VlSpec = {
      x2: { field: 'x2' },
      y2: { field: 'y2' },
      // stroke-opacity, not opacity: SVG group opacity makes resvg composite every segment on its own layer
      strokeOpacity: { field: 'o', type: 'quantitative', scale: null },
    };
    if (label !== null) encoding['stroke'] = series.stroke;
    return [{ data: { values }, mark, encoding }];
  }
}
