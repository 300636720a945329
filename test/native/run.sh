#!/bin/sh
# Builds and runs the standalone C++ tests of the exact-OT kernels: flattens the JSON fixtures into a
# temporary folder, compiles the kernels with the test, runs it. Usage: test/native/run.sh
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ot-native-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
for f in exact sliced; do
  python3 "$ROOT/test/native/fixtures_to_txt.py" "$ROOT/test/fixtures/$f.json" "$TMP/$f.txt"
done
${CXX:-g++} -O2 -std=c++17 -Wall -I"$ROOT/native" -I"$ROOT/test/native" ${OT_TEST_CXXFLAGS:-} \
  "$ROOT/test/native/exact_kernels_test.cc" "$ROOT/native/cpu/emd.cc" "$ROOT/native/cpu/wasserstein1d.cc" "$ROOT/native/cpu/sliced.cc" \
  "$ROOT/native/common/parallel.cc" \
  -o "$TMP/exact_kernels_test" -pthread
"$TMP/exact_kernels_test" "$TMP"
