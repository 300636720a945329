// The one place that loads the native addon: a matching prebuild first, then the local build
// (build/Release, which may include CUDA); OT_ADDON_PATH overrides both.
// Each area types the exports it uses in its own native-*.ts file; this module only loads and shares.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OTError } from './core/errors.js';

const require = createRequire(import.meta.url);
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Raw addon exports; areas narrow these with their own typed views. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Addon = Record<string, any>;

function load(): Addon {
  // OT_ADDON_PATH lets sanitizer or side-by-side builds be tested without touching build/.
  const override = process.env.OT_ADDON_PATH;
  if (override) return require(override) as Addon;
  const nodeGypBuild = require('node-gyp-build') as ((dir: string) => Addon) & { resolve(dir: string): string };
  // A forced local build (OT_FORCE_BUILD=1 npm install, e.g. for CUDA) leaves this marker and wins.
  if (!existsSync(join(packageRoot, 'build', 'Release', '.preferred'))) {
    const prebuild = resolvePrebuild(nodeGypBuild);
    if (prebuild) return require(prebuild) as Addon;
  }
  return nodeGypBuild(packageRoot);
}

function resolvePrebuild(nodeGypBuild: { resolve(dir: string): string }): string | null {
  const previous = process.env.PREBUILDS_ONLY;
  process.env.PREBUILDS_ONLY = '1';
  try {
    return nodeGypBuild.resolve(packageRoot);
  } catch {
    return null;
  } finally {
    if (previous === undefined) delete process.env.PREBUILDS_ONLY;
    else process.env.PREBUILDS_ONLY = previous;
  }
}

/** The loaded addon. Loading failure is fatal: every numeric path runs natively. */
export const addon: Addon = load();
addon.setErrorClass(OTError);
