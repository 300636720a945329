#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UBSan into build-asan/ and runs the vitest suite against it
# (OT_ADDON_PATH). Node itself is not sanitized, so the ASan runtime is preloaded and leak detection is
# off (V8 keeps allocations alive until exit by design); any ASan report or UBSan error fails the run.
# Usage: bash scripts/test-asan.sh [--long] [vitest args...]   (--long adds the long fuzz run)
set -euo pipefail
cd "$(dirname "$0")/.."

long=0
if [[ "${1:-}" == "--long" ]]; then
  long=1
  shift
fi

# CUDA kernels are not instrumented; the sanitizer build is CPU-only unless asked otherwise.
OT_NO_CUDA="${OT_NO_CUDA:-1}" OT_SANITIZE=1 node node_modules/cmake-js/bin/cmake-js compile --out build-asan -D

addon="$PWD/build-asan/Debug/optimal_transport.node"
[[ -f "$addon" ]] || addon="$PWD/build-asan/Release/optimal_transport.node"
libasan="$(${CXX:-c++} -print-file-name=libasan.so)"
if [[ ! -f "$libasan" ]]; then
  echo "test-asan: libasan.so not found (looked for $libasan)" >&2
  exit 1
fi

export OT_ADDON_PATH="$addon"
export OT_SANITIZED=1  # timing bounds in the tests allow for the instrumentation
export LD_PRELOAD="$libasan${LD_PRELOAD:+:$LD_PRELOAD}"
# abort_on_error: a report kills the vitest fork, so the suite fails; a small quarantine keeps RSS
# comparable in the memory test.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:quarantine_size_mb=16:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

echo "test-asan: $OT_ADDON_PATH with $libasan"
npx vitest run "$@"
if [[ $long == 1 ]]; then
  npx vitest run --config vitest.fuzz.config.ts
fi
