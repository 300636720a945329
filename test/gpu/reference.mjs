// Plain-JS float64 references for the GPU checks (POT semantics): ot.dist and its backward, sinkhorn_log
// with its reverse-mode adjoint, ot.batch.solve_batch, and ot.stochastic's dual loss, gradients and plan.
// Also the solvers' native results (value, status, n_iter, the packed history) as the entry points return
// them. They mirror the kernels' order of operations, so the float64 GPU results should agree to ~1e-12.

/** Seeded uniform [0, 1) generator (mulberry32). */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sgn = (t) => (t > 0 ? 1 : t < 0 ? -1 : 0);

// ---- dist (POT ot.dist; cpu/dist.cc semantics: same pins the diagonal, cosine uses |x||y| once) ----

function rowNorms(x, rows, d) {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] * x[i * d + k];
    out[i] = Math.sqrt(s);
  }
  return out;
}

export function distRef(x, y, n, m, d, metric, p, same) {
  const M = new Float64Array(n * m);
  const nx = metric === 'cosine' ? rowNorms(x, n, d) : null;
  const ny = metric === 'cosine' ? rowNorms(y, m, d) : null;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let acc = 0;
      for (let k = 0; k < d; k++) {
        const t = x[i * d + k] - y[j * d + k];
        if (metric === 'sqeuclidean' || metric === 'euclidean') acc += t * t;
        else if (metric === 'cityblock') acc += Math.abs(t);
        else if (metric === 'minkowski') acc += Math.abs(t) ** p;
        else if (metric === 'chebyshev') acc = Math.max(acc, Math.abs(t));
        else acc += x[i * d + k] * y[j * d + k];
      }
      let v = acc;
      if (metric === 'euclidean') v = Math.sqrt(acc);
      else if (metric === 'minkowski') v = acc ** (1 / p);
      else if (metric === 'cosine') v = 1 - acc / (nx[i] * ny[j]);
      M[i * m + j] = same && i === j ? 0 : v;
    }
  }
  return M;
}

/** d/dx, d/dy of Σ G ⊙ dist(x, y): zero (sub)gradient where a distance is 0; Chebyshev at the first argmax. */
export function distBackwardRef(x, y, G, n, m, d, metric, p, same) {
  const gx = new Float64Array(n * d);
  const gy = new Float64Array(m * d);
  const M = distRef(x, y, n, m, d, metric, p, false);
  const nx = metric === 'cosine' ? rowNorms(x, n, d) : null;
  const ny = metric === 'cosine' ? rowNorms(y, m, d) : null;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      if (same && i === j) continue;
      const g = G[i * m + j];
      const D = M[i * m + j];
      if (metric === 'chebyshev') {
        let best = 0;
        let top = -1;
        for (let k = 0; k < d; k++) {
          const u = Math.abs(x[i * d + k] - y[j * d + k]);
          if (u > top) {
            top = u;
            best = k;
          }
        }
        const s = sgn(x[i * d + best] - y[j * d + best]);
        gx[i * d + best] += g * s;
        gy[j * d + best] -= g * s;
        continue;
      }
      for (let k = 0; k < d; k++) {
        const xk = x[i * d + k];
        const yk = y[j * d + k];
        const t = xk - yk;
        let dx;
        let dy;
        if (metric === 'sqeuclidean') dx = 2 * t;
        else if (metric === 'euclidean') dx = D > 0 ? t / D : 0;
        else if (metric === 'cityblock') dx = sgn(t);
        else if (metric === 'minkowski') dx = D > 0 ? sgn(t) * (Math.abs(t) / D) ** (p - 1) : 0;
        if (metric === 'cosine') {
          const c = 1 - D;
          dx = -yk / (nx[i] * ny[j]) + (c * xk) / (nx[i] * nx[i]);
          dy = -xk / (nx[i] * ny[j]) + (c * yk) / (ny[j] * ny[j]);
        } else {
          dy = -dx;
        }
        gx[i * d + k] += g * dx;
        gy[j * d + k] += g * dy;
      }
    }
  }
  return { gx, gy };
}

// ---- log-domain Sinkhorn (POT sinkhorn_log) and its adjoint ----

function lse(values) {
  let mx = -Infinity;
  for (const v of values) if (v > mx) mx = v;
  if (mx === -Infinity) return -Infinity;
  let s = 0;
  for (const v of values) s += Math.exp(v - mx);
  return mx + Math.log(s);
}

/**
 * POT sinkhorn_log from u = u0 (zeros), v = 0; err checked when ii % 10 == 0; nIter counts iterations.
 * Also returns the iterate history (u0, u^0.., v^0..) and POT's value terms. With v0 (maxIter = 1) the
 * u-update reads v0: POT's last_step, both potentials updated from the detached (u0, v0).
 */
export function sinkhornLogRef(M, a, b, n, m, reg, maxIter, tol, u0 = null, v0 = null) {
  const nr = -1 / reg;
  const loga = Array.from(a, Math.log);
  const logb = Array.from(b, Math.log);
  let u = u0 ? Float64Array.from(u0) : new Float64Array(n);
  let v = new Float64Array(m);
  const histU = [Float64Array.from(u)];
  const histV = [];
  let status = 'max_iter';
  let err = NaN;
  let nIter = 0;
  const col = new Float64Array(n);
  const row = new Float64Array(m);
  for (let ii = 0; ii < maxIter; ii++) {
    const vNew = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < n; i++) col[i] = M[i * m + j] * nr + u[i];
      vNew[j] = logb[j] - lse(col);
    }
    const uNew = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) row[j] = M[i * m + j] * nr + (v0 ? v0[j] : vNew[j]);
      uNew[i] = loga[i] - lse(row);
    }
    u = uNew;
    v = vNew;
    histU.push(u);
    histV.push(v);
    nIter = ii + 1;
    if (ii % 10 === 0) {
      let sq = 0;
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += Math.exp(M[i * m + j] * nr + u[i] + v[j]);
        sq += (s - b[j]) ** 2;
      }
      err = Math.sqrt(sq);
      if (err < tol) {
        status = 'converged';
        break;
      }
    }
  }
  const plan = new Float64Array(n * m);
  let valueLinear = 0;
  let entropy = 0;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const P = Math.exp(M[i * m + j] * nr + u[i] + v[j]);
      plan[i * m + j] = P;
      valueLinear += M[i * m + j] * P;
      entropy += P * Math.log(P + 1e-16);
      kl += P * Math.log(P / (a[i] * b[j]) + 1e-16);
    }
  }
  return { logU: u, logV: v, plan, nIter, status, err, valueLinear, entropy, kl, histU, histV };
}

/**
 * Reverse pass through K recorded iterations (histU has K+1 rows, histV K rows); cot = { gLogU, gLogV,
 * gPlan, valueLinear, entropy, kl, v0, directTerms } as the native adjoint (v0: last_step's constant v,
 * K = 1; directTerms false: M and a, b inside the value terms are constants).
 * Returns { dM, da, db }.
 */
export function sinkhornAdjointRef(M, a, b, n, m, reg, histU, histV, K, cot) {
  const nr = -1 / reg;
  const loga = Array.from(a, Math.log);
  const logb = Array.from(b, Math.log);
  const cLin = cot.valueLinear ?? 0;
  const cEnt = cot.entropy ?? 0;
  const cKl = cot.kl ?? 0;
  const direct = cot.directTerms ?? true;
  const uF = histU[K];
  const vF = histV[K - 1];
  const dM = new Float64Array(n * m);
  let uBar = new Float64Array(n);
  const vBarExt = new Float64Array(m);
  const adjLoga = new Float64Array(n);
  const adjLogb = new Float64Array(m);
  const daDirect = new Float64Array(n);
  const dbDirect = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const idx = i * m + j;
      const P = Math.exp(M[idx] * nr + uF[i] + vF[j]);
      let g = (cot.gPlan ? cot.gPlan[idx] : 0) + cLin * M[idx];
      if (cEnt) g += cEnt * (Math.log(P + 1e-16) + P / (P + 1e-16));
      let dq = 0;
      if (cKl) {
        const q = a[i] * b[j];
        const r = P / q;
        g += cKl * (Math.log(r + 1e-16) + r / (r + 1e-16));
        if (direct) dq = (cKl * -(r * r)) / (r + 1e-16);
      }
      const w = g * P;
      dM[idx] = (direct ? cLin * P : 0) - w / reg;
      uBar[i] += w;
      vBarExt[j] += w;
      daDirect[i] += dq * b[j];
      dbDirect[j] += dq * a[i];
    }
  }
  for (let i = 0; i < n; i++) uBar[i] += cot.gLogU ? cot.gLogU[i] : 0;
  for (let j = 0; j < m; j++) vBarExt[j] += cot.gLogV ? cot.gLogV[j] : 0;
  for (let k = K - 1; k >= 0; k--) {
    const uk = histU[k + 1];
    const ukm1 = histU[k];
    const vk = histV[k];
    const vForU = cot.v0 ?? vk;
    const vBar = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let i = 0; i < n && !cot.v0; i++) {
        if (loga[i] === -Infinity) continue;
        s += uBar[i] * Math.exp(M[i * m + j] * nr + vk[j] + (uk[i] - loga[i]));
      }
      vBar[j] = (k === K - 1 ? vBarExt[j] : 0) - s;
      adjLogb[j] += vBar[j];
    }
    const uPrev = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) {
        const x = M[i * m + j] * nr;
        const S = loga[i] === -Infinity ? 0 : Math.exp(x + vForU[j] + (uk[i] - loga[i]));
        const T = logb[j] === -Infinity ? 0 : Math.exp(x + ukm1[i] + (vk[j] - logb[j]));
        dM[i * m + j] += (uBar[i] * S + vBar[j] * T) / reg;
        s += vBar[j] * T;
      }
      adjLoga[i] += uBar[i];
      uPrev[i] = -s;
    }
    uBar = uPrev;
  }
  const da = Float64Array.from(a, (ai, i) => adjLoga[i] / ai + daDirect[i]);
  const db = Float64Array.from(b, (bj, j) => adjLogb[j] / bj + dbDirect[j]);
  return { dM, da, db };
}

// ---- ot.solve's entropic solve as the native entry points return it (sinkhornSolve, on either device) ----

/**
 * The record's schedule over sinkhornLogRef (last_step: maxIter - 1 detached iterations, then one step from
 * their potentials), POT's value (regType 'KL' or 'entropy'), status and n_iter, and the history packed as
 * the GPU adjoint reads it: [u rows (K+1)·n | v rows K·m | detached v (m, last_step)].
 */
export function sinkhornSolveRef(M, a, b, n, m, reg, regType, maxIter, tol, record) {
  let r;
  let status;
  let nIter;
  let vDet = null;
  if (record === 'last_step') {
    const first = sinkhornLogRef(M, a, b, n, m, reg, maxIter - 1, tol);
    r = sinkhornLogRef(M, a, b, n, m, reg, 1, tol, first.logU, first.logV);
    status = r.status === 'diverged' ? r.status : first.status;
    nIter = maxIter;
    vDet = first.logV;
  } else {
    r = sinkhornLogRef(M, a, b, n, m, reg, maxIter, tol);
    status = r.status;
    nIter = r.nIter - 1;
  }
  const value = r.valueLinear + reg * (regType === 'KL' ? r.kl : r.entropy);
  const out = { plan: r.plan, logU: r.logU, logV: r.logV, value, valueLinear: r.valueLinear, nIter, status, iterations: 0 };
  if (record === 'none') return out;
  const rows = [...r.histU, ...r.histV, ...(vDet ? [vDet] : [])];
  return { ...out, history: Float64Array.from(rows.flatMap((x) => Array.from(x))), iterations: r.nIter };
}

/**
 * sinkhornAdjointRef over sinkhornSolveRef's packed history, value's cotangent split into <M, plan> and
 * reg·regulariser as the native backward does. o = { history, iterations, lastStep, directTerms, gValue,
 * gValueLinear, gPlan, gLogU, gLogV } (null seeds are zero). Returns { dM, da, db }.
 */
export function sinkhornBackwardRef(M, a, b, n, m, reg, regType, o) {
  const K = o.iterations;
  const h = o.history;
  const U = Array.from({ length: K + 1 }, (_, k) => h.subarray(k * n, (k + 1) * n));
  const vAt = (K + 1) * n;
  const V = Array.from({ length: K }, (_, k) => h.subarray(vAt + k * m, vAt + (k + 1) * m));
  const cot = {
    gPlan: o.gPlan ?? null, gLogU: o.gLogU ?? null, gLogV: o.gLogV ?? null, directTerms: o.directTerms,
    valueLinear: o.gValueLinear + o.gValue, [regType === 'KL' ? 'kl' : 'entropy']: reg * o.gValue,
    v0: o.lastStep ? h.subarray(vAt + K * m, vAt + (K + 1) * m) : undefined,
  };
  return sinkhornAdjointRef(M, a, b, n, m, reg, U, V, K, cot);
}

// ---- batched Sinkhorn (POT ot.batch: u first, then v; row-marginal error every 10 iterations) ----

/** stop 'batch': POT's rule (all iterate until max err < tol); 'each': every problem stops on its own. */
export function batchRef(M, a, b, B, n, m, reg, maxIter, tol, solver, stop = 'batch') {
  const log = solver === 'log_sinkhorn';
  const nr = -1 / reg;
  const K = Float64Array.from(M, (x) => (log ? x * nr : Math.exp(x * nr)));
  const u = new Float64Array(B * n).fill(log ? 0 : 1);
  const v = new Float64Array(B * m).fill(log ? 0 : 1);
  const err = new Float64Array(B).fill(NaN);
  const nIter = new Int32Array(B);
  const conv = new Uint8Array(B);
  const done = new Uint8Array(B);
  const row = new Float64Array(m);
  const col = new Float64Array(n);
  for (let ii = 0; ii < maxIter; ii++) {
    let allOk = true;
    for (let p = 0; p < B; p++) {
      if (done[p]) continue;
      const Kp = p * n * m;
      for (let i = 0; i < n; i++) {
        if (log) {
          for (let j = 0; j < m; j++) row[j] = K[Kp + i * m + j] + v[p * m + j];
          u[p * n + i] = Math.log(a[p * n + i]) - lse(row);
        } else {
          let s = 0;
          for (let j = 0; j < m; j++) s += K[Kp + i * m + j] * v[p * m + j];
          u[p * n + i] = a[p * n + i] / s;
        }
      }
      for (let j = 0; j < m; j++) {
        if (log) {
          for (let i = 0; i < n; i++) col[i] = K[Kp + i * m + j] + u[p * n + i];
          v[p * m + j] = Math.log(b[p * m + j]) - lse(col);
        } else {
          let s = 0;
          for (let i = 0; i < n; i++) s += K[Kp + i * m + j] * u[p * n + i];
          v[p * m + j] = b[p * m + j] / s;
        }
      }
      nIter[p] = ii + 1;
      if (ii % 10 === 0) {
        let sq = 0;
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < m; j++) {
            const kij = K[Kp + i * m + j];
            s += log ? Math.exp(kij + u[p * n + i] + v[p * m + j]) : kij * u[p * n + i] * v[p * m + j];
          }
          sq += (s - a[p * n + i]) ** 2;
        }
        err[p] = Math.sqrt(sq);
        conv[p] = err[p] < tol ? 1 : 0;
        if (!conv[p]) allOk = false;
        if (stop === 'each' && conv[p]) done[p] = 1;
      }
    }
    if (ii % 10 === 0 && (stop === 'batch' ? allOk : done.every((x) => x === 1))) break;
  }
  const plan = new Float64Array(B * n * m);
  const valueLinear = new Float64Array(B);
  const entropy = new Float64Array(B);
  const kl = new Float64Array(B);
  for (let p = 0; p < B; p++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const idx = p * n * m + i * m + j;
        const P = log ? Math.exp(M[idx] * nr + u[p * n + i] + v[p * m + j]) : Math.exp(M[idx] * nr) * u[p * n + i] * v[p * m + j];
        plan[idx] = P;
        valueLinear[p] += M[idx] * P;
        entropy[p] += P * Math.log(P + 1e-16);
        kl[p] += P * Math.log(P / (a[p * n + i] * b[p * m + j]) + 1e-16);
      }
    }
  }
  return { u, v, plan, valueLinear, entropy, kl, err, nIter, converged: conv };
}

/**
 * batchRef as the native entry points return it (solveBatch, on either device): POT's value (regType 'kl' or
 * 'entropy'), per-problem status codes (0 converged, 1 max_iter, 2 diverged: not converged with a
 * non-finite error or value) and POT's n_iter (iterations - 1).
 */
export function batchSolveRef(M, a, b, B, n, m, reg, regType, maxIter, tol, solver, stop = 'batch') {
  const r = batchRef(M, a, b, B, n, m, reg, maxIter, tol, solver, stop);
  const value = Float64Array.from(r.valueLinear, (x, k) => x + reg * (regType === 'kl' ? r.kl[k] : r.entropy[k]));
  const status = Int32Array.from(r.converged, (c, k) => (c ? 0 : Number.isFinite(r.err[k]) && Number.isFinite(r.valueLinear[k]) ? 1 : 2));
  const iters = Int32Array.from(r.nIter, (c) => c - 1);
  return {
    plan: r.plan, pot0: r.u, pot1: r.v, value, valueLinear: r.valueLinear, status, iters,
    nIter: iters.reduce((x, y) => Math.max(x, y), 0),
  };
}

// ---- dual OT (POT ot.stochastic, sqeuclidean cost) ----

export function dualRef(u, v, xs, xt, ws, wt, n, m, d, reg, kind) {
  const wsv = ws ?? new Float64Array(n).fill(1 / n);
  const wtv = wt ?? new Float64Array(m).fill(1 / m);
  const du = Float64Array.from(wsv);
  const dv = Float64Array.from(wtv);
  const dws = Float64Array.from(u);
  const dwt = Float64Array.from(v);
  const dxs = new Float64Array(n * d);
  const dxt = new Float64Array(m * d);
  const plan = new Float64Array(n * m);
  let loss = 0;
  for (let i = 0; i < n; i++) loss += u[i] * wsv[i];
  for (let j = 0; j < m; j++) loss += v[j] * wtv[j];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let M = 0;
      for (let k = 0; k < d; k++) M += (xs[i * d + k] - xt[j * d + k]) ** 2;
      const z = u[i] + v[j] - M;
      let F;
      let dF;
      if (kind === 'entropic') {
        const e = Math.exp(z / reg);
        F = -reg * e;
        dF = -e;
      } else {
        const p = Math.max(z, 0);
        F = -(p * p) / (4 * reg);
        dF = -p / (2 * reg);
      }
      const w = wsv[i] * wtv[j];
      const W = w * dF;
      loss += w * F;
      plan[i * m + j] = -W;
      du[i] += W;
      dv[j] += W;
      dws[i] += wtv[j] * F;
      dwt[j] += wsv[i] * F;
      for (let k = 0; k < d; k++) {
        const t = xs[i * d + k] - xt[j * d + k];
        dxs[i * d + k] -= 2 * W * t;
        dxt[j * d + k] += 2 * W * t;
      }
    }
  }
  return { loss, du, dv, dxs, dxt, dws, dwt, plan };
}
