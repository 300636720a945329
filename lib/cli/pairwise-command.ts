// `optimal-transport pairwise`: a job run in this process, checkpointed chunk by chunk to OUT.partial
// (--resume continues it), progress on stderr, OUT written once everything is done.
import { existsSync } from 'node:fs';
import { DEFAULT_CONCURRENCY, PairwiseMatrix } from '../jobs/pairwise.js';
import { runChunks } from '../jobs/run.js';
import { Checkpoint } from './checkpoint.js';
import { loadJobInputs, type SolverFlags } from './job-inputs.js';
import { progressReporter } from './progress.js';
import { checkOutputPath, writeOutput } from './write-output.js';
import { checkInteger } from '../core/validate.js';

export interface PairwiseFlags extends SolverFlags {
  with?: string;
  out: string;
  concurrency?: number;
  resume?: boolean;
  retries?: number;
}

/** Runs the job; resolves when OUT is written. Aborting `signal` (SIGINT, SIGTERM) keeps the checkpoint. */
export async function pairwiseCommand(input: string, flags: PairwiseFlags, signal: AbortSignal): Promise<void> {
  checkOutputPath(flags.out);
  if (flags.resume && !existsSync(`${flags.out}.partial`)) {
    process.stderr.write(`optimal-transport: --resume: no ${flags.out}.partial, starting from the beginning\n`);
  }
  const { job, rowIds, colIds, id } = await loadJobInputs(input, flags.with, flags, 64);
  const concurrency = checkInteger('optimal-transport', '--concurrency', flags.concurrency ?? DEFAULT_CONCURRENCY, 1, 1024);
  const { checkpoint, done } = Checkpoint.open(flags.out, id, flags.resume ?? false);
  const out = new PairwiseMatrix(job.plan);
  for (const c of job.plan.chunks) {
    const r = done.get(c.index);
    if (r && r.values.length === c.pairs.length / 2) out.put(c, r);
    else done.delete(c.index);
  }
  const progress = progressReporter('pairwise');
  signal.addEventListener('abort', () => process.stderr.write(`optimal-transport: finished chunks stay in ${flags.out}.partial; continue with --resume\n`), { once: true });
  try {
    await runChunks(job, {
      concurrency, signal, retries: flags.retries ?? 2, skip: new Set(done.keys()),
      onProgress: (p) => progress.update(p),
      onChunk: (c, r) => {
        checkpoint.append(c.index, r);
        out.put(c, r);
      },
    });
  } finally {
    progress.stop();
    checkpoint.close();
  }
  await writeOutput(flags.out, out, rowIds, colIds);
  checkpoint.remove();
  reportStatus(out);
}

/** One line on stderr when some pairs did not converge (their values are still written). */
export function reportStatus(m: PairwiseMatrix): void {
  let maxIter = 0;
  let diverged = 0;
  for (const s of m.status) {
    if (s === 1) maxIter++;
    else if (s === 2) diverged++;
  }
  if (maxIter + diverged > 0) {
    process.stderr.write(`optimal-transport: ${maxIter} entries stopped at --max-iter and ${diverged} diverged (see status in a .jsonl output)\n`);
  }
}
