// Offline rendering: vega-lite spec → vega spec → SVG (vega View, renderer 'none') → PNG (@resvg/resvg-js),
// with vega's text layout measured in the font resvg draws with.
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { fontSetup } from './fonts.js';
import type { VlSpec } from './layer.js';

let metricsInstalled = false;

/**
 * Points vega's text measurement at the font file's advance widths (as vl-convert does); without a canvas
 * vega would guess 0.8 em per character and leave oversized gaps around labels and legends.
 */
function installTextMetrics(): void {
  if (metricsInstalled) return;
  const fonts = fontSetup();
  type TextItem = { fontSize?: number; fontWeight?: string | number; limit?: number };
  // textMetrics is exported by vega but missing from its typings
  const metrics = (vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics;
  metrics.width = (item, text) => {
    const size = item.fontSize != null ? +item.fontSize || 0 : 11;
    const str = text == null ? '' : String(text).trim();
    if (size <= 0 || str === '') return 0;
    const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
    const w = fonts.measure(str, size, bold);
    return item.limit !== undefined && item.limit > 0 ? Math.min(w, item.limit) : w;
  };
  metricsInstalled = true;
}

/** Collects vega-lite's warnings instead of printing them. */
class CollectingLogger {
  readonly warnings: string[] = [];
  private lvl = 0;
  level(): number;
  level(_: number): this;
  level(l?: number): number | this {
    if (l === undefined) return this.lvl;
    this.lvl = l;
    return this;
  }
  warn(...args: readonly unknown[]): this {
    this.warnings.push(args.map(String).join(' '));
    return this;
  }
  info(): this {
    return this;
  }
  debug(): this {
    return this;
  }
  error(...args: readonly unknown[]): this {
    throw new Error(args.map(String).join(' '));
  }
}

/** Compiles a vega-lite spec to vega, returning vega-lite's warnings (a correct figure has none). */
export function compileSpec(spec: VlSpec): { vega: vega.Spec; warnings: string[] } {
  const logger = new CollectingLogger();
  const out = compile(spec as unknown as TopLevelSpec, { logger });
  return { vega: out.spec as vega.Spec, warnings: logger.warnings };
}

/** Renders a vega-lite spec to an SVG document. */
export async function renderSVG(spec: VlSpec): Promise<string> {
  installTextMetrics();
  const view = new vega.View(vega.parse(compileSpec(spec).vega), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A rasterised figure: PNG bytes plus the raw RGBA pixels (row-major, 4 bytes per pixel). */
export interface Raster {
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
  readonly pixels: Buffer;
}

/** Rasterises an SVG with resvg at `scale` × its size, on white, with the fonts found by fontSetup(). */
export function rasterize(svg: string, scale: number): Raster {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: fontSetup().resvg,
  });
  const img = resvg.render();
  return { png: img.asPng(), width: img.width, height: img.height, pixels: img.pixels };
}
