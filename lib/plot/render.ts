// Offline rendering: vega-lite spec → vega spec → SVG (vega View, renderer 'none') → PNG (@resvg/resvg-js),
// with vega's text layout measured in the font resvg draws with. The three engines load on the first render.
import type * as Vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { OTError } from '../core/errors.js';
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

/** Renders a vega-lite spec to an SVG document; vega's errors (e.g. a bad format string) reject it. */
export async function renderSVG(spec: VlSpec, fn = 'toSVG'): Promise<string> {
  const { vega } = await loadEngines();
  // vega logs a failed expression or format and draws on without it; a figure missing its labels is
  // a wrong figure, so those errors are collected and turned into a rejection.
  const errors: string[] = [];
  const logger = vega.logger(vega.Error);
  logger.error = (...args: readonly unknown[]) => {
    errors.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
    return logger;
  };
  let svg: string;
  try {
    const view = new vega.View(vega.parse((await compileSpec(spec)).vega), { renderer: 'none', logger, logLevel: vega.Error });
    try {
      svg = await view.toSVG();
    } finally {
      view.finalize();
    }
  } catch (e) {
    if (e instanceof OTError) throw e;
    throw new OTError(`${fn}: the figure could not be rendered: ${(e as Error).message}`, 'ERR_OT_ARG', { cause: e });
  }
  if (errors.length > 0) throw new OTError(`${fn}: the figure could not be rendered: ${errors.join('; ')}`, 'ERR_OT_ARG');
  return svg;
}

/** A rasterised figure: PNG bytes plus the raw RGBA pixels (row-major, 4 bytes per pixel). */
export interface Raster {
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
  readonly pixels: Buffer;
}

/** Largest PNG side (px), also the largest figure width and height: resvg aborts the process past its own limits. */
export const MAX_PNG_SIDE = 16384;
/** Largest PNG in pixels (64 Mpx: 256 MiB of RGBA while it is drawn). */
export const MAX_PNG_PIXELS = 2 ** 26;

/** The width and height attributes of the root <svg> element. */
function svgSize(svg: string): [number, number] | null {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const w = /\swidth="([\d.]+)"/.exec(root)?.[1];
  const h = /\sheight="([\d.]+)"/.exec(root)?.[1];
  return w !== undefined && h !== undefined ? [Number(w), Number(h)] : null;
}

/**
 * Rasterises an SVG with resvg at `scale` × its size, on white, with the fonts found by fontSetup().
 * ERR_OT_ARG when the image would be empty or larger than the limits; resvg's errors become OTErrors.
 */
export async function rasterize(svg: string, scale: number, fn = 'toPNG'): Promise<Raster> {
  const size = svgSize(svg);
  if (size !== null) {
    const [w, h] = [Math.ceil(size[0] * scale), Math.ceil(size[1] * scale)];
    if (!(Math.round(size[0] * scale) >= 1 && Math.round(size[1] * scale) >= 1)) fail(fn, `the PNG would be ${w}×${h} pixels (scale ${scale} of ${size[0]}×${size[1]}); it needs at least 1×1`);
    if (w > MAX_PNG_SIDE || h > MAX_PNG_SIDE || w * h > MAX_PNG_PIXELS) {
      fail(fn, `the PNG would be ${w}×${h} pixels (scale ${scale}), more than the limit of ${MAX_PNG_SIDE} px a side and ${MAX_PNG_PIXELS} pixels`);
    }
  }
  const { Resvg } = (await loadEngines()).resvg;
  try {
    const resvg = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: scale },
      background: 'white',
      font: fontSetup().resvg,
    });
    const img = resvg.render();
    return { png: img.asPng(), width: img.width, height: img.height, pixels: img.pixels };
  } catch (e) {
    throw new OTError(`${fn}: the PNG could not be drawn: ${(e as Error).message}`, 'ERR_OT_ARG', { cause: e });
  }
}

function fail(fn: string, message: string): never {
  throw new OTError(`${fn}: ${message}`, 'ERR_OT_ARG');
}
