// Whether ot.solve solves exact OT (reg omitted) in this build: pairwise jobs with exact: true are refused
// up front with a clear error, instead of failing chunk after chunk, when it does not.
import { OTError } from '../core/errors.js';
import { fail } from '../core/validate.js';
import { solve } from '../solvers/solve.js';
import { Tensor } from '../tensor/tensor.js';

let cause: string | null | undefined;

/** Throws ERR_OT_ARG naming the missing solver when exact OT is not available. */
export function exactUnavailable(fn: string): void {
  if (cause === undefined) {
    try {
      solve(new Tensor(new Float64Array([0]), [1, 1]));
      cause = null;
    } catch (e) {
      if (!(e instanceof OTError)) throw e;
      cause = e.message;
    }
  }
  if (cause !== null) fail('ERR_OT_ARG', `${fn}: exact OT needs exact OT in ot.solve (reg omitted), which this build does not have (${cause}); pass reg > 0`);
}
