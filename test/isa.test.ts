// CPU kernel variants: the addon reports the instruction set it runs, OT_ISA forces a lower one, and
// every variant computes the same numbers (cost matrices, Sinkhorn with gradients, batches, dual losses).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';

const ISAS = ['generic', 'avx2', 'avx512'] as const;

// Runs a workload touching every kernel family in a child process with OT_ISA set, returns its numbers.
const workload = `
import * as ot from './lib/index.ts';
const out = { isa: ot.backend().isa };
for (const dtype of ['float32', 'float64']) {
  const x = ot.rand([70, 3], { seed: 1, dtype }); const y = ot.rand([53, 3], { seed: 2, dtype });
  const M = ot.dist(x, y).requiresGrad_(true);
  const res = ot.solve(M, ot.unif(70, { dtype }), ot.unif(53, { dtype }), { reg: 0.05, grad: 'autodiff' });
  res.value.backward();
  const Mb = ot.rand([4, 9, 7], { seed: 3, dtype });
  const batch = ot.batch.solveBatch(Mb, { reg: 0.1 });
  const u = ot.randn([70], { seed: 4, dtype }); const v = ot.randn([53], { seed: 5, dtype });
  const dual = ot.stochastic.lossDualEntropic(u, v, x, y, { reg: 0.5 });
  out[dtype] = [...ot.dist(x, y, { metric: 'euclidean' }).toArray().flat(), res.value.item(), ...M.grad.toArray().flat().slice(0, 200),
    ...batch.value.toArray(), dual.item()];
}
console.log(JSON.stringify(out));
`;

function runWith(isa: string | undefined): { isa: string; float32: number[]; float64: number[] } {
  const env = { ...process.env };
  if (isa === undefined) delete env.OT_ISA;
  else env.OT_ISA = isa;
  const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', workload], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'], // the child's stderr belongs to the assertion, not the test log
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

function expectSame(a: number[], b: number[], rtol: number) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(rtol * (1 + Math.abs(b[i]!)));
}

describe('CPU instruction-set variants', () => {
  it('backend() reports the variant in use', () => {
    expect(ISAS).toContain(ot.backend().isa);
  });

  const best = runWith(undefined);
  for (const isa of ISAS) {
    it(`OT_ISA=${isa} runs the ${isa} kernels (or the best the CPU has) with the same results`, () => {
      const rank = (s: string) => ISAS.indexOf(s as (typeof ISAS)[number]);
      const got = runWith(isa);
      expect(got.isa).toBe(ISAS[Math.min(rank(isa), rank(best.isa))]);
      expectSame(got.float64, best.float64, 1e-9);
      expectSame(got.float32, best.float32, 2e-4);
    });
  }

  it('rejects an unknown OT_ISA at load with an OTError naming the choices', () => {
    let message = '';
    try {
      runWith('sse9');
    } catch (err) {
      message = String((err as { stderr?: string }).stderr);
    }
    expect(message).toMatch(/OT_ISA must be one of 'avx512', 'avx2', 'generic', got 'sse9'/);
  });
});
