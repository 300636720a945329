// Offline rendering: vega-lite spec → vega spec → SVG (vega View, renderer 'none') → PNG (@resvg/resvg-js),
// with vega's text layout measured in the font resvg draws with. The three engines load on the first render.
import type * as Vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { fontSetup } from './fonts.js';
import type { VlSpec } from './layer.js';

interface Engines {
  readonly vega: typeof import('vega');
  readonly vegaLite: typeof import('vega-lite');
  readonly resvg: typeof import('@resvg/resvg-js');
}

let engines: Promise<Engines> | undefined;

/**
 * Imports vega, vega-lite and resvg once, on first use: together they take most of a second to load and
 * most programs never draw. Dynamic import() also lets the CommonJS build load ESM-only vega.
 */
function loadEngines(): Promise<Engines> {
  engines ??= Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js')]).then(
    ([vega, vegaLite, resvg]) => {
      installTextMetrics(vega);
      return { vega, vegaLite, resvg };
    },
    (err: unknown) => {
      engines = undefined; // a failed load (e.g. a missing optional binary) is retried on the next render
      throw err;
    },
  );
  return engines;
}

/**
 * Points vega's text measurement at the font file's advance widths (as vl-convert does); without a canvas
 * vega would guess 0.8 em per character and leave oversized gaps around labels and legends.
 */
function installTextMetrics(vega: Engines['vega']): void {
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
export async function compileSpec(spec: VlSpec): Promise<{ vega: Vega.Spec; warnings: string[] }> {
  const { vegaLite } = await loadEngines();
  const logger = new CollectingLogger();
  const out = vegaLite.compile(spec as unknown as TopLevelSpec, { logger });
  return { vega: out.spec as Vega.Spec, warnings: logger.warnings };
}

/** Renders a vega-lite spec to an SVG document. */
export async function renderSVG(spec: VlSpec): Promise<string> {
  const { vega } = await loadEngines();
  const view = new vega.View(vega.parse((await compileSpec(spec)).vega), { renderer: 'none', logLevel: vega.Error });
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
export async function rasterize(svg: string, scale: number): Promise<Raster> {
  const { Resvg } = (await loadEngines()).resvg;
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: fontSetup().resvg,
  });
  const img = resvg.render();
  return { png: img.asPng(), width: img.width, height: img.height, pixels: img.pixels };
}
