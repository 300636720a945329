// What the pairwise and submit commands share: reading INPUT (and --with), the solver flags resolved
// as ot.jobs.pairwise resolves its options, the job and its identity for checkpoints.
import { checkInteger } from '../core/validate.js';
import type { BatchMetric } from '../core/vocabulary.js';
import { checkJobMeasures, type Measure } from '../jobs/measures.js';
import { makeJob, resolveSpec } from '../jobs/pairwise.js';
import type { Job } from '../jobs/run.js';
import type { DType } from '../tensor/dtype.js';
import { fingerprint } from './checkpoint.js';
import { inputDType, measureName, readInput, toMeasures, type RawInput } from './read-input.js';

/** Solver flags as commander hands them over (numbers already parsed). */
export interface SolverFlags {
  reg?: number;
  exact?: boolean;
  metric?: string;
  p?: number;
  dtype?: DType;
  device?: 'cpu' | 'cuda';
  maxIter?: number;
  tol?: number;
  chunk?: number;
}

export interface JobInputs {
  job: Job;
  rowIds: string[];
  colIds: string[];
  /** Digest of the inputs and every option that decides the values: a checkpoint's identity. */
  id: string;
  chunkSize: number;
}

export async function loadJobInputs(input: string, withInput: string | undefined, flags: SolverFlags, defaultChunk: number): Promise<JobInputs> {
  const fn = 'pairwise';
  const raws: RawInput[] = [await readInput(input)];
  if (withInput !== undefined) raws.push(await readInput(withInput));
  const dtype = inputDType(raws, flags.dtype);
  const spec = resolveSpec(fn, { reg: flags.reg, exact: flags.exact ? true : undefined, metric: flags.metric as BatchMetric | undefined, p: flags.p, device: flags.device, maxIter: flags.maxIter, tol: flags.tol }, dtype);
  const chunkSize = checkInteger(fn, '--chunk', flags.chunk ?? defaultChunk, 1, 1 << 20);
  const lists = raws.map((r) => toMeasures(r, dtype));
  const all: Measure[] = lists.flat();
  const K = lists[0]!.length;
  checkJobMeasures(fn, all, dtype, (k) => (k < K ? measureName(raws[0]!, k) : measureName(raws[1]!, k - K)));
  const job = makeJob(lists[0]!, lists[1] ?? null, spec, chunkSize);
  const id = fingerprint({ inputs: raws.map((r) => r.digest), spec: { ...spec, device: undefined }, chunkSize, with: withInput !== undefined });
  return { job, rowIds: lists[0]!.map((m) => m.id), colIds: (lists[1] ?? lists[0]!).map((m) => m.id), id, chunkSize };
}
