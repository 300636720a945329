// The one place that loads the native addon: a source build marked preferred (OT_FORCE_BUILD / CUDA
// installs), else the prebuilt binary shipped for this platform, else the local build (build/Release);
// OT_ADDON_PATH overrides all. The addon picks its CPU kernel variant at load; OT_ISA may lower it.
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

const ISAS = ['avx512', 'avx2', 'generic'];

function checkIsaOverride(): void {
  const isa = process.env.OT_ISA;
  if (isa && !ISAS.includes(isa)) {
    throw new OTError(`OT_ISA must be one of ${ISAS.map((s) => `'${s}'`).join(', ')}, got '${isa}'`, 'ERR_OT_ARG');
  }
}

function load(): Addon {
  checkIsaOverride();
  // OT_ADDON_PATH lets sanitizer or side-by-side builds be tested without touching build/.
  const override = process.env.OT_ADDON_PATH;
  if (override) return require(override) as Addon;
  const nodeGypBuild = require('node-gyp-build') as ((dir: string) => Addon) & { resolve(dir: string): string };
  if (!existsSync(join(packageRoot, 'build', 'Release', '.preferred'))) {
    const prebuild = resolvePrebuild(nodeGypBuild);
    if (prebuild) return require(prebuild) as Addon;
  }
  try {
    return nodeGypBuild(packageRoot);
  } catch (err) {
    throw new OTError(
      `optimal-transport: no native addon for ${process.platform}-${process.arch} (no prebuilt binary matches and ` +
        'none was built). Build it from source with `npm rebuild optimal-transport` (npm >= 11 first needs ' +
        '`npm install-scripts approve optimal-transport`), which needs CMake or node-gyp and a C++17 compiler. ' +
        `Cause: ${(err as Error).message}`,
      'ERR_OT_DEVICE',
    );
  }
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
// process.exit() (and an uncaught exception) joins the thread pool right after 'exit': the async jobs
// still running must stop first, or the process never exits. Workers are covered natively (their
// shutdown raises the same flag); this listener is the main thread's only chance.
if (typeof addon.stopJobs === 'function') process.on('exit', () => addon.stopJobs());
