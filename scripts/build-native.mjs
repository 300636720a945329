// Install step. A prebuilt binary for this platform (prebuilds/) is used as is, unless a source build
// is asked for (OT_FORCE_BUILD=1) or would add something (CUDA kernels: see cudaDecision). Otherwise
// build with cmake-js (CMake), falling back to node-gyp (CPU only). Exits non-zero only when every
// route fails.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cmakeBuild, cudaDecision, gypBuild, root } from './native-build-tools.mjs';

const prebuildDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const hasPrebuild = existsSync(prebuildDir) && readdirSync(prebuildDir).some((f) => f.endsWith('.node'));
const [cuda, why] = cudaDecision();
const forced = process.env.OT_FORCE_BUILD === '1';

if (hasPrebuild && !forced && !cuda) {
  console.log(`optimal-transport: using the prebuilt binary (${prebuildDir})`);
  process.exit(0);
}
console.log(`optimal-transport: building the native addon from source (CUDA: ${cuda ? 'yes' : 'no'}, ${why})`);
const ok = cmakeBuild('build', { cuda }) || gypBuild();
if (!ok) {
  if (hasPrebuild) {
    console.warn('optimal-transport: source build failed; the prebuilt binary stays in use');
    process.exit(0);
  }
  process.exit(1);
}
// A source build made over a prebuild (forced, or for CUDA) is the one the loader must pick.
if (hasPrebuild) writeFileSync(join(root, 'build', 'Release', '.preferred'), 'local build preferred over prebuilds\n');
