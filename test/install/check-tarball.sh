#!/usr/bin/env bash
# Packs the package as npm publishes it (prepack builds the prebuilt binary), installs the tarball into an empty
# project from the registry cache, and runs an ESM and a CommonJS program there; both must agree.
# With OT_CHECK_SOURCE_BUILD=1 it also approves the install script and rebuilds from source (README).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npm pack --silent --pack-destination "$work" > "$work/pack.txt"
tarball="$work/$(tail -n 1 "$work/pack.txt")"
echo "packed $(basename "$tarball") ($(du -h "$tarball" | cut -f1))"
listing=$(tar -tzf "$tarball")  # not piped into grep -q: with pipefail, tar's SIGPIPE would fail the check
grep -q 'package/prebuilds/linux-x64/.*\.node$' <<< "$listing" || { echo 'no prebuilt binary in the tarball'; exit 1; }

app="$work/app"
mkdir -p "$app"
cd "$app"
echo '{ "name": "ot-install-check", "version": "1.0.0", "private": true }' > package.json
start=$(date +%s)
# OT_CUDA / OT_FORCE_BUILD (set by CI for the clone's own build) would ask the install script for a source build.
env -u OT_CUDA -u OT_FORCE_BUILD npm install --prefer-offline --no-audit --no-fund --loglevel=error "$tarball"
echo "tarball install (prebuilt): $(( $(date +%s) - start )) s"
cp "$root/test/install/smoke.mjs" "$root/test/install/smoke.cjs" .
esm=$(node smoke.mjs)
cjs=$(node smoke.cjs)
echo "$esm"
echo "$cjs"
[ "${esm#*\"isa\"}" = "${cjs#*\"isa\"}" ] || { echo 'ESM and CJS results differ'; exit 1; }
test ! -d node_modules/optimal-transport/build || { echo 'the prebuilt install compiled from source'; exit 1; }
# The command-line tool as a user runs it from the installed package: a tiny exact pairwise job.
printf '%s\n' '{"id":"a","x":[[0,0],[1,0]]}' '{"id":"b","x":[[0,1],[1,1]]}' > clouds.jsonl
./node_modules/.bin/optimal-transport pairwise clouds.jsonl --out values.jsonl > cli.log 2>&1 || { cat cli.log; echo 'the CLI failed'; exit 1; }
grep -q '"idI":"a","idJ":"b","value":1' values.jsonl || { cat values.jsonl; echo 'the CLI gave a wrong value'; exit 1; }
echo "cli: $(wc -l < values.jsonl) values"

if [ "${OT_CHECK_SOURCE_BUILD:-}" = 1 ]; then
  # The README's route to a source build: approve the install script (npm >= 11), then rebuild.
  if npm help install-scripts > /dev/null 2>&1; then npm install-scripts approve optimal-transport > /dev/null; fi
  start=$(date +%s)
  OT_FORCE_BUILD=1 npm rebuild optimal-transport
  echo "source build of the installed package: $(( $(date +%s) - start )) s"
  test -f node_modules/optimal-transport/build/Release/.preferred || { echo 'source build did not run'; exit 1; }
  node smoke.mjs
  node smoke.cjs
fi
echo 'tarball install: ok'
