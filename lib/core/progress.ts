// Progress of an async solve: the kernel writes (iteration, error) into a shared slot at its own error
// checks (native/common/progress.h, a seqlock over a BigInt64Array on a SharedArrayBuffer) and this side
// polls it on an unref'd timer, so the kernel never waits for JS, a report costs it a few stores, and a
// pending solve does not keep the process alive. The callback runs on the event loop; a throw from it
// stops the solve and rejects the promise with that error.
import { fail, show } from './validate.js';

/** One report: the iteration index of an error check and the marginal error measured there. */
export interface Progress {
  iter: number;
  err: number;
}
export type OnProgress = (p: Progress) => void;

/** How often the slot is read while a solve runs (ms). */
const PERIOD_MS = 50;

/** undefined, or ERR_OT_ARG unless `v` is a function. */
export function checkOnProgress(fn: string, v: unknown): OnProgress | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'function') fail('ERR_OT_ARG', `${fn}: onProgress must be a function ({ iter, err }) => void, got ${show(v)}`);
  return v as OnProgress;
}

/** The reader of one slot: the newest complete report, or null (none yet, or one being written). */
function reader(slot: BigInt64Array): () => Progress | null {
  const bits = new BigInt64Array(1);
  const asDouble = new Float64Array(bits.buffer);
  return () => {
    const s1 = Atomics.load(slot, 0);
    if (s1 === 0n || (s1 & 1n) === 1n) return null;
    const iter = Atomics.load(slot, 1);
    bits[0] = Atomics.load(slot, 2);
    if (Atomics.load(slot, 0) !== s1) return null;
    return { iter: Number(iter), err: asDouble[0]! };
  };
}

/**
 * Runs `start(slot, signal)` and reports the slot's progress to `onProgress` every PERIOD_MS while it runs,
 * and once more (the last report, when new) before the promise resolves; never after it settles. `signal`
 * is the caller's, joined with one that a throwing callback raises: the solve then stops (the kernel
 * polls the cancel flag) and the promise rejects with the callback's error. Without onProgress, start
 * runs with no slot and the caller's signal.
 */
export async function withProgress<T>(
  onProgress: OnProgress | undefined, signal: AbortSignal | undefined,
  start: (slot: BigInt64Array | undefined, signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (onProgress === undefined) return start(undefined, signal);
  const slot = new BigInt64Array(new SharedArrayBuffer(3 * 8));
  const read = reader(slot);
  const stop = new AbortController();
  let thrown: { error: unknown } | null = null;
  let last = -1;
  const poll = (): void => {
    if (thrown !== null) return;
    const p = read();
    if (p === null || p.iter <= last) return;
    last = p.iter;
    try {
      onProgress(p);
    } catch (error) {
      thrown = { error };
      stop.abort();
    }
  };
  const timer = setInterval(poll, PERIOD_MS);
  timer.unref();
  const joined = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
  let out: T;
  try {
    out = await start(slot, joined);
  } catch (e) {
    // A callback's throw is what stopped the solve: its error, not ERR_OT_ABORTED.
    if (thrown !== null && !signal?.aborted) throw (thrown as { error: unknown }).error;
    throw e;
  } finally {
    clearInterval(timer);
  }
  poll();
  if (thrown !== null) throw (thrown as { error: unknown }).error;
  return out;
}
