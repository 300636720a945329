// The majorization-minimization iterations of POT's mm_unbalanced, in double whatever the input type:
// K is fixed (KL: a^r1 b^r2 c^r exp(-M / (ua + ub + reg)); L2: max(ua a + ub b + reg c - M, 0)), and
// each step rescales G entrywise from its row and column sums. The sums of the new G are taken in the
// same sweep, so one iteration reads and writes G once.
#include "cpu/mm_unbalanced.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <vector>

namespace ot::cpu {

template <typename T>
Status mmUnbalanced(const MmProblem<T>& p, MmResult<T>& out) {
  const size_t n = p.n, m = p.m;
  if (!p.M || !p.a || !p.b || !out.plan || n == 0 || m == 0 || !(p.reg >= 0) || !(p.ua > 0) || !(p.ub > 0) ||
      !std::isfinite(p.ua) || !std::isfinite(p.ub) || !std::isfinite(p.reg) || p.maxIter < 1 || !(p.tol >= 0))
    return Status::BadArgument;
  std::vector<double> K, G, r, c, rn, cn, rowF, colF;
  try {
    K.resize(n * m);
    G.resize(n * m);
    r.assign(n, 0.0); c.assign(m, 0.0); rn.resize(n); cn.resize(m); rowF.resize(n); colF.resize(m);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  const bool kl = p.div == MmDivergence::KL;
  const double s = p.reg + p.ua + p.ub;
  const double r1 = p.ua / s, r2 = p.ub / s, rr = p.reg / s;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < m; ++j) {
      const double q = p.a[i] * p.b[j];
      const double mij = static_cast<double>(p.M[i * m + j]);
      // c = a b^T when reg > 0; with reg = 0 POT's c^0 (KL) is 1 and its reg c (L2) is 0.
      K[i * m + j] = kl ? std::pow(p.a[i], r1) * std::pow(p.b[j], r2) * (p.reg > 0 ? std::pow(q, rr) : 1.0) * std::exp(-mij / s)
                        : std::max(p.ua * p.a[i] + p.ub * p.b[j] + p.reg * q - mij, 0.0);
      G[i * m + j] = q;
      r[i] += q;
      c[j] += q;
    }
  }
  Status status = Status::MaxIter;
  long it = 0;
  for (; it < p.maxIter; ++it) {
    if (p.cancel.raised()) return Status::Aborted;
    for (size_t i = 0; i < n; ++i) rowF[i] = kl ? std::pow(r[i], r1) : p.ua * r[i];
    for (size_t j = 0; j < m; ++j) colF[j] = kl ? std::pow(c[j], r2) : p.ub * c[j];
    std::fill(cn.begin(), cn.end(), 0.0);
    double err = 0;
    for (size_t i = 0; i < n; ++i) {
      double* Gi = G.data() + i * m;
      const double* Ki = K.data() + i * m;
      double row = 0;
      for (size_t j = 0; j < m; ++j) {
        const double g = Gi[j];
        const double x = kl ? Ki[j] * std::pow(g, r1 + r2) / (rowF[i] * colF[j] + 1e-16)
                            : Ki[j] * g / (rowF[i] + colF[j] + p.reg * g + 1e-16);
        err += (x - g) * (x - g);
        Gi[j] = x;
        row += x;
        cn[j] += x;
      }
      rn[i] = row;
    }
    r.swap(rn);
    c.swap(cn);
    if (!std::isfinite(err)) {
      status = Status::Diverged;
      break;
    }
    if (std::sqrt(err) < p.tol) {
      status = Status::Ok;
      break;
    }
  }
  out.nIter = status == Status::MaxIter ? p.maxIter - 1 : it;
  out.status = status;
  for (size_t k = 0; k < n * m; ++k) out.plan[k] = static_cast<T>(G[k]);
  return status;
}

template Status mmUnbalanced<float>(const MmProblem<float>&, MmResult<float>&);
template Status mmUnbalanced<double>(const MmProblem<double>&, MmResult<double>&);

}  // namespace ot::cpu
