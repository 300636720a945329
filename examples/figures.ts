// Where the examples write their figures (out/, or OT_DEMO_OUT) and how: PNG + SVG under one name.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as ot from 'optimal-transport';

export const outDir = process.env.OT_DEMO_OUT ?? 'out';
mkdirSync(outDir, { recursive: true });

/** Writes `fig` as out/NAME.png and out/NAME.svg. */
export async function save(fig: ot.plot.Figure, name: string): Promise<void> {
  await fig.savePNG(join(outDir, `${name}.png`));
  await fig.saveSVG(join(outDir, `${name}.svg`));
  console.log(`wrote ${outDir}/${name}.{png,svg}`);
}
