// Boxplot layer (matplotlib's pl.boxplot(groups, tick_labels=…, showfliers=…)): box from q1 to q3, median line
// in C1, whiskers with caps at the furthest data within whis·IQR, optional hollow-circle fliers.
import type { Extent, Layer, Ticks, VlSpec } from '../layer.js';
import { BOX, MARKER_EDGE_WIDTH, markerSize } from '../style.js';
import type { BoxStats } from './boxplot-stats.js';

export interface BoxplotStyle {
  readonly showfliers: boolean;
}

export class BoxplotLayer implements Layer {
  readonly legend = null;
  readonly xticks: Ticks;
  /** Box width in x units, matplotlib's default clip(0.15 · span of positions, 0.15, 0.5). */
  private readonly width: number;

  constructor(private readonly stats: readonly BoxStats[], labels: readonly string[], private readonly style: BoxplotStyle) {
    const n = stats.length;
    this.xticks = { values: stats.map((_, i) => i + 1), labels };
    this.width = Math.min(Math.max(0.15 * (n - 1), 0.15), 0.5);
  }

  extent(): Extent | null {
    if (this.stats.length === 0) return null;
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of this.stats) {
      const fl = this.style.showfliers ? s.fliers : [];
      lo = Math.min(lo, s.whislo, ...fl);
      hi = Math.max(hi, s.whishi, ...fl);
    }
    return { x: [0.5, this.stats.length + 0.5], y: [lo, hi], tightX: true };
  }

  *anchors(): Iterable<readonly [number, number]> {
    for (const [i, s] of this.stats.entries()) {
      for (const y of [s.whislo, s.q1, s.median, s.q3, s.whishi]) yield [i + 1, y];
    }
  }

  toVegaLite(): VlSpec[] {
    const w = this.width / 2;
    const cap = this.width / 4;
    const rule = (stroke: string): VlSpec => ({ type: 'rule', stroke, strokeWidth: BOX.lineWidth, clip: true });
    const whiskers = this.stats.flatMap((s, i) => [
      { x: i + 1, y: s.q1, y2: s.whislo },
      { x: i + 1, y: s.q3, y2: s.whishi },
    ]);
    const caps = this.stats.flatMap((s, i) => [
      { x: i + 1 - cap, x2: i + 1 + cap, y: s.whislo },
      { x: i + 1 - cap, x2: i + 1 + cap, y: s.whishi },
    ]);
    const boxes = this.stats.map((s, i) => ({ x: i + 1 - w, x2: i + 1 + w, y: s.q1, y2: s.q3 }));
    const medians = this.stats.map((s, i) => ({ x: i + 1 - w, x2: i + 1 + w, y: s.median }));
    const layers: VlSpec[] = [
      { data: { values: whiskers }, mark: rule(BOX.color), encoding: { y2: { field: 'y2' } } },
      { data: { values: caps }, mark: rule(BOX.color), encoding: { x2: { field: 'x2' } } },
      {
        data: { values: boxes },
        mark: { type: 'rect', fill: 'transparent', stroke: BOX.color, strokeWidth: BOX.lineWidth, clip: true },
        encoding: { x2: { field: 'x2' }, y2: { field: 'y2' } },
      },
      { data: { values: medians }, mark: rule(BOX.medianColor), encoding: { x2: { field: 'x2' } } },
    ];
    if (this.style.showfliers) {
      const fliers = this.stats.flatMap((s, i) => s.fliers.map((y) => ({ x: i + 1, y })));
      layers.push({
        data: { values: fliers },
        mark: {
          type: 'point', shape: 'circle', fill: 'transparent', stroke: BOX.color, opacity: 1,
          size: markerSize(BOX.flierArea), strokeWidth: MARKER_EDGE_WIDTH, clip: true,
        },
        encoding: {},
      });
    }
    return layers;
  }
}
