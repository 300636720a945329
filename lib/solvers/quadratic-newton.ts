// A safeguarded semismooth Newton step for the dual of L2-regularised OT (see quadratic-dual.ts). The
// dual D(alpha, beta) = sum_ij h(alpha_i + beta_j - M_ij) + sum_i c_a(alpha_i) + sum_j c_b(beta_j) is
// concave with a piecewise-smooth gradient; its generalised Hessian is
//   -(1/reg) [diag(k) S; S^T diag(l)] + diag(c''),  S_ij = 1 where P_ij > 0, k and l S's row and column counts.
// The Newton system is solved inexactly by Jacobi-preconditioned conjugate gradients (one O(nm)
// product per step, nothing of size (n + m)^2), variables the system cannot move (no active entry,
// or a TV potential held at its bound) are kept, and the step is accepted only if it raises D
// (backtracking). Between steps the block-coordinate sweeps keep the ascent globally convergent;
// once the support of P is found, these steps converge quadratically where the sweeps crawl.
import type { QuadraticDualInput } from './quadratic-dual.js';

/** D at (alpha, beta). */
export function dualValue(p: QuadraticDualInput, alpha: Float64Array, beta: Float64Array): number {
  const { n, m, M, a, b, reg } = p;
  let v = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const q = p.withRef ? a[i]! * b[j]! : 0;
      const z = alpha[i]! + beta[j]! - M[i * m + j]!;
      const P = q + z / reg;
      if (P > 0) v += -z * P + (reg / 2) * (P - q) * (P - q);
      else v += (reg / 2) * q * q;
    }
  }
  const conj = (pot: Float64Array, w: Float64Array, s: number): number => {
    let t = 0;
    for (let i = 0; i < w.length; i++) t += p.marginal === 'KL' ? s * w[i]! * (1 - Math.exp(-pot[i]! / s)) : pot[i]! * w[i]!;
    return t;
  };
  return v + conj(alpha, a, p.ua) + conj(beta, b, p.ub);
}

/**
 * One damped Newton step from (alpha, beta), written in place when it raises the dual; returns the
 * step length taken (0: none). TV potentials stay in [-ua, ua] (and [-ub, ub]).
 */
export function newtonStep(p: QuadraticDualInput, alpha: Float64Array, beta: Float64Array, lambda: number): number {
  const { n, m, M, a, b, reg } = p;
  const N = n + m;
  const S = new Uint8Array(n * m);
  const g = new Float64Array(N);
  const diag = new Float64Array(N);
  const curv = new Float64Array(N);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const z = alpha[i]! + beta[j]! - M[i * m + j]! + (p.withRef ? reg * a[i]! * b[j]! : 0);
      if (z > 0) {
        S[i * m + j] = 1;
        g[i] -= z / reg;
        g[n + j] -= z / reg;
        diag[i] += 1 / reg;
        diag[n + j] += 1 / reg;
      }
    }
  }
  const pot = (k: number): number => (k < n ? alpha[k]! : beta[k - n]!);
  for (let k = 0; k < N; k++) {
    const w = k < n ? a[k]! : b[k - n]!;
    const s = k < n ? p.ua : p.ub;
    if (p.marginal === 'KL') {
      const e = w * Math.exp(-pot(k) / s);
      g[k] += e;
      curv[k] = e / s;
      diag[k] += e / s;
    } else {
      g[k] += w;
    }
  }
  // Variables this step keeps: no curvature, or a TV potential at the bound its gradient pushes past.
  const free = new Uint8Array(N);
  for (let k = 0; k < N; k++) {
    const s = k < n ? p.ua : p.ub;
    const held = p.marginal === 'TV' && ((pot(k) >= s && g[k]! > 0) || (pot(k) <= -s && g[k]! < 0));
    free[k] = diag[k]! > 0 && !held ? 1 : 0;
  }
  // Conjugate gradients on (H + mu I) d = g over the free variables.
  let gnorm = 0;
  for (let k = 0; k < N; k++) if (free[k]) gnorm += g[k]! * g[k]!;
  if (!(gnorm > 0)) return 0;
  // Balanced and TV: Levenberg-Marquardt damping lambda |g| / reg. While P's support falls apart in
  // pieces, each piece's mass imbalance lies outside H's range (H has a null direction per piece),
  // and an undamped step would be huge; near the optimum the damping vanishes with g. The caller
  // adapts lambda to how far the last step went. KL: H is positive definite (the penalties' own
  // curvature), possibly tiny along one direction (large ua) where the full step is the one needed,
  // so only a rounding-level ridge.
  let dmax = 0;
  for (let k = 0; k < N; k++) dmax = Math.max(dmax, diag[k]!);
  const mu = p.marginal === 'KL' ? 1e-12 * dmax : (lambda * Math.sqrt(gnorm)) / reg;
  const Hv = (v: Float64Array, out: Float64Array): void => {
    for (let k = 0; k < N; k++) out[k] = free[k] ? (curv[k]! + mu) * v[k]! : 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        if (!S[i * m + j]) continue;
        const s = (v[i]! + v[n + j]!) / reg;
        if (free[i]) out[i] += s;
        if (free[n + j]) out[n + j] += s;
      }
    }
  };
  const d = new Float64Array(N);
  const r = new Float64Array(N);
  const z = new Float64Array(N);
  const q = new Float64Array(N);
  const Hq = new Float64Array(N);
  for (let k = 0; k < N; k++) r[k] = free[k] ? g[k]! : 0;
  const precond = (): number => {
    let rz = 0;
    for (let k = 0; k < N; k++) {
      z[k] = free[k] ? r[k]! / (diag[k]! + mu) : 0;
      rz += r[k]! * z[k]!;
    }
    return rz;
  };
  let rz = precond();
  q.set(z);
  // Inexact Newton (forcing term min(1e-3, |g|)): quadratic near the optimum, cheaper far from it.
  const eta = Math.min(1e-3, Math.sqrt(gnorm));
  const target = eta * eta * gnorm;
  // Inexact Newton: a bounded number of products keeps a step at O(nm) cost times a constant.
  for (let it = 0; it < Math.min(2 * N + 10, 100); it++) {
    Hv(q, Hq);
    let qHq = 0;
    for (let k = 0; k < N; k++) qHq += q[k]! * Hq[k]!;
    if (!(qHq > 0)) break;
    const step = rz / qHq;
    let rr = 0;
    for (let k = 0; k < N; k++) {
      d[k] += step * q[k]!;
      r[k] -= step * Hq[k]!;
      rr += r[k]! * r[k]!;
    }
    if (rr < target) break;
    const rzNext = precond();
    const beta2 = rzNext / rz;
    rz = rzNext;
    for (let k = 0; k < N; k++) q[k] = z[k]! + beta2 * q[k]!;
  }
  // Backtracking on D (projected onto the TV boxes).
  const base = dualValue(p, alpha, beta);
  const ta = new Float64Array(n);
  const tb = new Float64Array(m);
  for (let t = 1, tries = 0; tries < 30; t /= 2, tries++) {
    for (let i = 0; i < n; i++) ta[i] = clampTo(p, alpha[i]! + t * d[i]!, p.ua);
    for (let j = 0; j < m; j++) tb[j] = clampTo(p, beta[j]! + t * d[n + j]!, p.ub);
    const v = dualValue(p, ta, tb);
    if (v > base) {
      alpha.set(ta);
      beta.set(tb);
      return t;
    }
  }
  return 0;
}

function clampTo(p: QuadraticDualInput, x: number, s: number): number {
  return p.marginal === 'TV' ? Math.min(s, Math.max(-s, x)) : x;
}
