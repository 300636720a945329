// Runs a snippet of ESM in a fresh node process (with tsx, so it imports lib/*.ts as `ot` and the raw
// addon as `addon`): for reproductions that crash, hang or exit the process they run in.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** `body` runs after `import * as ot from './lib/index.ts'` and `import { addon } from './lib/native.ts'`. */
export function runChild(body: string, opts: { timeoutMs?: number; env?: Record<string, string> } = {}): ChildResult {
  const script = `import * as ot from './lib/index.ts';\nimport { addon } from './lib/native.ts';\n${body}`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
  });
  const ms = Date.now() - t0;
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms, timedOut };
}

/** The last line of stdout as JSON (what the snippet reported). */
export function lastJson<T>(r: ChildResult): T {
  const lines = r.stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]!) as T;
  } catch {
    throw new Error(`child printed no result (status ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
}
