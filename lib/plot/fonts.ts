// Finds the DejaVu Sans files (matplotlib's default font) for resvg and for vega's text layout; resvg loads no
// system fonts unless told, so without this the PNG has no text. Falls back to system fonts where DejaVu is absent.
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { estimateMeasure, measureFromFont, type Measure } from './text-metrics.js';

export interface FontSetup {
  /** CSS font-family list written into the SVG. */
  readonly family: string;
  /** Font files handed to resvg (empty when falling back to system fonts). */
  readonly files: readonly string[];
  /** Width of a string in the regular / bold face, for layout. */
  readonly measure: (text: string, fontSize: number, bold: boolean) => number;
  /** The `font` options for @resvg/resvg-js. */
  readonly resvg: { loadSystemFonts: boolean; fontFiles?: string[]; defaultFontFamily?: string; sansSerifFamily?: string };
}

const FAMILY = 'DejaVu Sans';
const WANTED = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'];

function searchDirs(): string[] {
  const home = homedir();
  const env = process.env['OT_PLOT_FONT_DIR'];
  return [
    ...(env ? [env] : []),
    '/usr/share/fonts', '/usr/local/share/fonts', join(home, '.local/share/fonts'), join(home, '.fonts'),
    '/Library/Fonts', join(home, 'Library/Fonts'), '/opt/homebrew/share/fonts', 'C:\\Windows\\Fonts',
  ];
}

/** Depth-limited walk collecting the wanted file names (first hit wins). */
function findFiles(dir: string, depth: number, found: Map<string, string>): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (found.size === WANTED.length) return;
    const path = join(dir, name);
    if (WANTED.includes(name) && !found.has(name)) {
      found.set(name, path);
    } else if (depth > 0) {
      try {
        if (statSync(path).isDirectory()) findFiles(path, depth - 1, found);
      } catch {
        // unreadable entries are skipped: fonts are optional
      }
    }
  }
}

let cached: FontSetup | undefined;

/** Locates fonts once per process. */
export function fontSetup(): FontSetup {
  if (cached) return cached;
  const found = new Map<string, string>();
  for (const dir of searchDirs()) {
    findFiles(dir, 4, found);
    if (found.size === WANTED.length) break;
  }
  const regularPath = found.get(WANTED[0]!);
  let regular: Measure = estimateMeasure;
  let bold: Measure = estimateMeasure;
  if (regularPath !== undefined) {
    try {
      regular = measureFromFont(regularPath);
      const boldPath = found.get(WANTED[1]!);
      bold = boldPath !== undefined ? measureFromFont(boldPath) : regular;
    } catch {
      regular = bold = estimateMeasure;
    }
  }
  const files = [...found.values()];
  cached = {
    family: `${FAMILY}, Helvetica, Arial, sans-serif`,
    files,
    measure: (text, size, isBold) => (isBold ? bold : regular)(text, size),
    resvg: regularPath !== undefined
      ? { loadSystemFonts: false, fontFiles: files, defaultFontFamily: FAMILY, sansSerifFamily: FAMILY }
      : { loadSystemFonts: true },
  };
  return cached;
}
