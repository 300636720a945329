// 1-D exact OT entry points: wasserstein1d over the columns of [n, k] samples (value and position
// gradients) and emd1d (one plan). Both run the quantile walk of quantile_walk.h.
#include "cpu/wasserstein1d.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "common/parallel.h"
#include "cpu/quantile_walk.h"

namespace ot::cpu {
namespace {

struct ColumnScratch {
  oned::Sorted u, v;
  ScratchArray<double> gu, gv;
};

template <typename T>
void solveColumn(const Wasserstein1dProblem<T>& p, Wasserstein1dResult<T>& out, size_t c, ColumnScratch& s,
                 bool sortInParallel) {
  const size_t k = p.k;
  const T* uw = p.uWeights ? p.uWeights + (p.uWeightsShared ? 0 : c) : nullptr;
  const T* vw = p.vWeights ? p.vWeights + (p.vWeightsShared ? 0 : c) : nullptr;
  auto loadU = [&] { s.u.load(p.u + c, p.n, k, uw, p.uWeightsShared ? 1 : k); };
  auto loadV = [&] { s.v.load(p.v + c, p.m, k, vw, p.vWeightsShared ? 1 : k); };
  if (sortInParallel) {
    // One big column: the two sorts are most of the work and independent.
    runTeamOrInline(2, [&](int tid, int nt) {
      if (tid == 0) loadU();
      if (tid == 1 || nt == 1) loadV();
    });
  } else {
    loadU();
    loadV();
  }
  if (out.gradU) s.gu.resize(p.n);
  if (out.gradV) s.gv.resize(p.m);
  out.value[c] =
      oned::transportCost(s.u, s.v, p.p, out.gradU ? s.gu.data() : nullptr, out.gradV ? s.gv.data() : nullptr);
  if (out.gradU)
    for (size_t i = 0; i < p.n; ++i) out.gradU[i * k + c] = static_cast<T>(s.gu[i]);
  if (out.gradV)
    for (size_t j = 0; j < p.m; ++j) out.gradV[j * k + c] = static_cast<T>(s.gv[j]);
}

}  // namespace

template <typename T>
Status wasserstein1d(const Wasserstein1dProblem<T>& p, Wasserstein1dResult<T>& out) {
  if (!p.u || !p.v || !out.value || p.n == 0 || p.m == 0 || p.k == 0 || !(p.p >= 1)) return Status::BadArgument;
  const double work = double(p.k) * double(p.n + p.m) * 30;  // ~ a sort's cost per atom
  int threads = p.threads > 0 ? std::min(p.threads, maxThreads()) : teamSizeFor(work);
  threads = std::max(1, std::min<int>(threads, static_cast<int>(p.k)));
  const bool sortInParallel = p.k == 1 && p.n + p.m > 100000 && (p.threads > 1 || (p.threads == 0 && maxThreads() > 1));
  return forEachItem(
      p.k, threads, p.cancel, [] { return ColumnScratch(); },
      [&](ColumnScratch& s, size_t c) {
        solveColumn(p, out, c, s, sortInParallel);
        return Status::Ok;
      });
}

template <typename T>
Status emd1d(const Emd1dProblem<T>& p, Emd1dResult<T>& out) {
  if (!p.xA || !p.xB || p.n == 0 || p.m == 0 || !(p.p >= 1)) return Status::BadArgument;
  try {
    oned::Sorted A, B;
    A.load(p.xA, p.n, 1, p.a, 1);
    B.load(p.xB, p.m, 1, p.b, 1);
    double sa = 0, sb = 0;
    for (size_t i = 0; i < p.n; ++i) {
      if (!(A.w[i] >= 0)) return Status::Infeasible;
      sa += A.w[i];
    }
    for (size_t j = 0; j < p.m; ++j) {
      if (!(B.w[j] >= 0)) return Status::Infeasible;
      sb += B.w[j];
    }
    if (sb > 0)
      for (size_t j = 0; j < p.m; ++j) B.w[j] *= sa / sb;  // as POT: b rescaled to a's total
    if (out.plan) std::memset(out.plan, 0, p.n * p.m * sizeof(T));
    double value = 0;
    size_t count = 0;
    oned::walk(A.w.data(), p.n, B.w.data(), p.m, [&](size_t i, size_t j, double mass) {
      if (!(mass > 0)) return;
      const size_t r = A.order[i], c = B.order[j];
      value += mass * oned::powAbs(A.x[i] - B.x[j], p.p);
      if (out.plan) out.plan[r * p.m + c] += static_cast<T>(mass);
      if (out.mass && count < p.n + p.m) {
        out.rows[count] = r;
        out.cols[count] = c;
        out.mass[count] = mass;
      }
      ++count;
    }, /*stopAtShorter=*/true);
    out.count = std::min(count, p.n + p.m);
    out.value = value;
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  return Status::Ok;
}

template Status wasserstein1d<float>(const Wasserstein1dProblem<float>&, Wasserstein1dResult<float>&);
template Status wasserstein1d<double>(const Wasserstein1dProblem<double>&, Wasserstein1dResult<double>&);
template Status emd1d<float>(const Emd1dProblem<float>&, Emd1dResult<float>&);
template Status emd1d<double>(const Emd1dProblem<double>&, Emd1dResult<double>&);

}  // namespace ot::cpu
