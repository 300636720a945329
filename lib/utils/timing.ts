// Wall-clock timers (POT: ot.tic / ot.toc / ot.toq) backed by a stack, so tic calls can nest.
import { fail, show } from '../core/validate.js';

const starts: bigint[] = [];

/** Starts a timer. @example ot.tic(); work(); const s = ot.toq(); */
export function tic(): void {
  starts.push(process.hrtime.bigint());
}

function elapsed(): number {
  const t0 = starts.pop();
  if (t0 === undefined) return 0;
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Stops the last timer and prints `message` with the elapsed seconds ("Elapsed time : {} s"); returns them. */
export function toc(message = 'Elapsed time : {} s'): number {
  if (typeof message !== 'string') fail('ERR_OT_ARG', `toc: message must be a string, got ${show(message)}`);
  const s = elapsed();
  console.log(message.includes('{}') ? message.replace('{}', String(s)) : `${message} ${s} s`);
  return s;
}

/** Stops the last timer and returns the elapsed seconds without printing. */
export function toq(): number {
  return elapsed();
}
