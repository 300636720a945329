// Library warnings: each carries an OT_… code and is emitted once per call site and code (as Python's
// default warning filter), so a loop of many small solves that all stall prints one line, not one per call.
import { basename, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export type WarningCode =
  | 'OT_SINKHORN_MAX_ITER' | 'OT_SINKHORN_DIVERGED' | 'OT_UNBALANCED_MAX_ITER' | 'OT_BATCH_MAX_ITER' | 'OT_BATCH_DIVERGED' | 'OT_EMD_MAX_ITER'
  | 'OT_BARYCENTER_MAX_ITER';

// lib/ (dist/ once built): frames inside it are the library's own, not the caller's. In the CommonJS
// bundle this code sits in dist/index.cjs itself, not in a core/ folder.
const here = dirname(fileURLToPath(import.meta.url));
const libraryRoot = (basename(here) === 'core' ? dirname(here) : here) + sep;
const emitted = new Set<string>();

/** The first stack frame outside the library (with its line), '' when none is found. */
function callSite(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, callSite);
  Error.stackTraceLimit = limit;
  for (const line of (holder.stack ?? '').split('\n').slice(1)) {
    if (!line.includes(libraryRoot) && !line.includes('node:internal')) return line.trim();
  }
  return '';
}

/** Emits `message` as an OTWarning with `code`, unless this code was already emitted from this call site. */
export function warn(code: WarningCode, message: string): void {
  const key = `${code} ${callSite()}`;
  if (emitted.has(key)) return;
  emitted.add(key);
  process.emitWarning(message, { type: 'OTWarning', code });
}

/** Forgets which warnings were emitted (tests that count warnings per call start from a clean slate). */
export function resetWarnings(): void {
  emitted.clear();
}
