// The one place that knows devices: the device a call runs on (that of its tensors) and the backend
// that implements its ops there. Facades call backendFor(device).op(...) and never branch on device.
import { fail } from '../core/validate.js';
import type { Device } from '../core/vocabulary.js';
import { Tensor } from '../tensor/tensor.js';
import { cpu } from './cpu.js';
import { cuda } from './cuda.js';
import type { Backend } from './types.js';

export type * from './types.js';

/**
 * The device of a call: that of its Tensor arguments, which must agree (ERR_OT_DEVICE naming the
 * argument otherwise). Plain arrays and absent arguments follow the tensors; none at all → 'cpu'.
 */
export function callDevice(fn: string, args: readonly (readonly [name: string, value: unknown])[]): Device {
  let first: string | null = null;
  let device: Device = 'cpu';
  for (const [name, v] of args) {
    if (!(v instanceof Tensor)) continue;
    if (first === null) {
      first = name;
      device = v.device;
    } else if (v.device !== device) {
      fail('ERR_OT_DEVICE', `${fn}: ${name} is on '${v.device}' but ${first} is on '${device}'; move both to one device with .to('${device}')`);
    }
  }
  return device;
}

/** The implementation of every native op on `device`. */
export function backendFor(device: Device): Backend {
  return device === 'cuda' ? cuda : cpu;
}
