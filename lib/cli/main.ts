#!/usr/bin/env node
// The `optimal-transport` command: pairwise jobs in this process, or over Redis (submit + workers).
// Exit codes: 0 done, 1 bad input or arguments, 2 aborted (SIGINT / SIGTERM), 3 a chunk failed after its retries.
import { Command, InvalidArgumentError, Option } from 'commander';
import { OTError } from '../core/errors.js';
import { ChunkFailure } from '../jobs/run.js';
import { loadJobInputs } from './job-inputs.js';
import { pairwiseCommand, reportStatus, type PairwiseFlags } from './pairwise-command.js';
import { progressReporter } from './progress.js';
import { checkOutputPath, writeOutput } from './write-output.js';

function number(what: string, check: (v: number) => boolean) {
  return (text: string): number => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || !check(v)) throw new InvalidArgumentError(`expected ${what}, got '${text}'`);
    return v;
  };
}
const positive = number('a number > 0', (v) => v > 0);
const nonNegative = number('a number >= 0', (v) => v >= 0);
const count = number('an integer >= 1', (v) => Number.isInteger(v) && v >= 1);
const atLeastOne = number('a number >= 1', (v) => v >= 1);

/** The solver flags shared by `pairwise` and `submit pairwise`. */
function solverFlags(cmd: Command): Command {
  return cmd
    .option('--with <input2>', 'second input: the result is INPUT x INPUT2 [K, K2], every pair solved')
    .requiredOption('--out <out>', 'output: .npy (float64 [K, K2] values) or .jsonl (one line per entry: i, j, idI, idJ, value, status, nIter)')
    .option('--reg <r>', 'entropic regularisation (> 0); without --reg and --exact the job is exact OT', positive)
    .option('--exact', 'exact OT (ot.solve without reg); not with --reg')
    .addOption(new Option('--metric <m>', 'ground cost between points').choices(['sqeuclidean', 'euclidean', 'minkowski', 'kl']).default('sqeuclidean'))
    .option('--p <p>', 'Minkowski exponent (>= 1, default 2)', atLeastOne)
    .addOption(new Option('--dtype <dtype>', 'precision (default: float32 when every input is a float32 .npy, else float64)').choices(['float32', 'float64']))
    .option('--max-iter <n>', 'Sinkhorn iterations per pair at most (default 1000)', count)
    .option('--tol <tol>', 'Sinkhorn tolerance on the marginal error, checked every 10 iterations (default 1e-9 in float64, 1e-6 in float32)', nonNegative)
    .option('--chunk <n>', 'pairs per chunk, solved as one native batch (default 64); values do not depend on it', count);
}

/** Prints what went wrong and gives the exit code (see the header). */
function exitCodeOf(e: unknown): number {
  if (e instanceof OTError && e.code === 'ERR_OT_ABORTED') {
    process.stderr.write(`optimal-transport: ${e.message}\n`);
    return 2;
  }
  if (e instanceof ChunkFailure) {
    process.stderr.write(`optimal-transport: ${e.message}; OUT not written\n`);
    return 3;
  }
  const err = e as NodeJS.ErrnoException;
  if (e instanceof OTError || typeof err?.code === 'string') {
    process.stderr.write(`optimal-transport: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`optimal-transport: ${err?.stack ?? String(e)}\n`);
  return 1;
}

/** An AbortSignal raised by the first SIGINT / SIGTERM (a second one exits at once). */
function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (ac.signal.aborted) process.exit(2);
    process.stderr.write(`optimal-transport: ${sig}, stopping (again to exit at once)\n`);
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return ac.signal;
}

async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
    process.exitCode = 0;
  } catch (e) {
    process.exitCode = exitCodeOf(e);
  }
}

const program = new Command('optimal-transport')
  .description('Batch optimal-transport jobs: pairwise OT values over lists of measures, in this process or on workers over Redis.')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 1));

solverFlags(program.command('pairwise <input>')
  .description('OT values between all pairs of INPUT (.jsonl: one {"id","x","w"} per line; .npy: [K, n, d], uniform weights), or INPUT x --with'))
  .option('--concurrency <n>', 'chunks solved at once (default 1: a chunk already uses every core)', count)
  .addOption(new Option('--device <device>', 'where chunks are solved').choices(['cpu', 'cuda']).default('cpu'))
  .option('--resume', 'continue a killed run from its checkpoint OUT.partial (finished chunks are not solved again)')
  .option('--retries <n>', 'further tries of a chunk that fails (default 2)', nonNegative)
  .action((input: string, flags: PairwiseFlags) => run(() => pairwiseCommand(input, flags, interruptSignal())));

program.command('worker')
  .description('Solve chunks of submitted jobs from a Redis queue until stopped (SIGINT / SIGTERM finish the chunks in hand)')
  .requiredOption('--redis <url>', 'Redis URL, e.g. redis://host:6379')
  .option('--concurrency <n>', 'chunks solved at once by this worker (default 1; one chunk already uses every core)', count)
  .addOption(new Option('--device <device>', 'where chunks are solved').choices(['cpu', 'cuda']).default('cpu'))
  .option('--queue <name>', 'BullMQ queue name (default optimal-transport)')
  .option('--lock-duration <ms>', 'lock of a chunk in hand (default 30000); a dead worker\'s chunk is retried about this long after it died', count)
  .action((flags: { redis: string; concurrency?: number; device?: 'cpu' | 'cuda'; queue?: string; lockDuration?: number }) => run(async () => {
    const signal = interruptSignal();
    // BullMQ and ioredis load only for the distributed commands, keeping local runs quick to start.
    const [{ connectRedis }, { startWorker }] = await Promise.all([import('../jobs/distributed/keys.js'), import('../jobs/distributed/worker.js')]);
    const redis = await connectRedis(flags.redis);
    const log = (e: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ pid: process.pid, ...e })}\n`);
    const worker = startWorker(redis, { concurrency: flags.concurrency, device: flags.device, queue: flags.queue, lockDuration: flags.lockDuration, log });
    await worker.waitUntilReady();
    log({ event: 'ready' });
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    await worker.close();
    redis.disconnect();
  }));

const submit = program.command('submit').description('Submit a job to the workers listening on a Redis queue, show its progress and write OUT');
solverFlags(submit.command('pairwise <input>').description('a pairwise job (INPUT as for `pairwise`), solved by `optimal-transport worker` processes'))
  .requiredOption('--redis <url>', 'Redis URL, e.g. redis://host:6379')
  .option('--queue <name>', 'BullMQ queue name (default optimal-transport)')
  .option('--attempts <n>', 'tries per chunk before the job fails with exit code 3 (default 3)', count)
  .action((input: string, flags: PairwiseFlags & { redis: string; queue?: string; attempts?: number }) => run(async () => {
    const signal = interruptSignal();
    checkOutputPath(flags.out);
    const { job, rowIds, colIds, chunkSize } = await loadJobInputs(input, flags.with, flags, 64);
    const [{ connectRedis }, { submitJob }] = await Promise.all([import('../jobs/distributed/keys.js'), import('../jobs/distributed/submit.js')]);
    const redis = await connectRedis(flags.redis);
    const progress = progressReporter('submit');
    try {
      const out = await submitJob(redis, job, chunkSize, { queue: flags.queue, attempts: flags.attempts, signal, onProgress: (p) => progress.update(p) });
      progress.stop();
      await writeOutput(flags.out, out, rowIds, colIds);
      reportStatus(out);
    } finally {
      progress.stop();
      redis.disconnect();
    }
  }));

program.addHelpText('after', `
Exit codes: 0 done, 1 bad input or arguments (the message names the file and line), 2 aborted,
3 a chunk failed after its retries (OUT is not written; the failing pairs and the error are named).
Progress goes to stderr: a bar on a terminal, else JSON lines {"done","total","elapsedSeconds","etaSeconds"}.`);

await program.parseAsync(process.argv);
