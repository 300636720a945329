// The one place that loads the native addon (node-gyp-build: prebuilds/ first, then build/Release).
// Each area types the exports it uses in its own native-*.ts file; this module only loads and shares.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OTError } from './utils/errors.js';

const require = createRequire(import.meta.url);
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Raw addon exports; areas narrow these with their own typed views. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Addon = Record<string, any>;

function load(): Addon {
  // OT_ADDON_PATH lets sanitizer or side-by-side builds be tested without touching build/.
  const override = process.env.OT_ADDON_PATH;
  if (override) return require(override) as Addon;
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => Addon;
  return nodeGypBuild(packageRoot);
}

/** The loaded addon. Loading failure is fatal: every numeric path runs natively. */
export const addon: Addon = load();
addon.setErrorClass(OTError);
