// Module hook for package tests: appends every URL the ESM loader resolves (import and import()) to the
// file named by OT_RESOLVE_LOG, synchronously, so the list is complete when the import settles.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  appendFileSync(process.env.OT_RESOLVE_LOG, `${result.url}\n`);
  return result;
}
