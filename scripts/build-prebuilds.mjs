// Builds the binary shipped in the package: prebuilds/<platform>-<arch>/node.napi.glibc.node, CPU
// kernels for every instruction set (picked at load), no CUDA, stripped. Run by `npm run
// build:prebuilds` and before packing; builds in build-prebuild/ so a local build/ is left alone
// (prebuildify always builds in build/ with node-gyp, which cannot compile the per-ISA kernel variants).
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cmakeBuild, root, run } from './native-build-tools.mjs';

const outDir = 'build-prebuild';
if (!cmakeBuild(outDir, { cuda: false, defines: { OT_NATIVE_ARCH: 'OFF' } })) process.exit(1);
const target = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
const libc = process.platform === 'linux' ? (process.report?.getReport().header.glibcVersionRuntime ? '.glibc' : '.musl') : '';
const file = join(target, `node.napi${libc}.node`);
copyFileSync(join(root, outDir, 'Release', 'optimal_transport.node'), file);
if (process.platform === 'linux') run('strip', 'strip', ['--strip-unneeded', file]);
console.log(`optimal-transport: ${file} (${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB)`);
