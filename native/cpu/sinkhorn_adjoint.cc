// Reverse mode through POT's log-domain Sinkhorn iterations (what torch autograd computes for
// ot.solve(grad='autodiff' | 'last_step')), from the per-iteration potentials the forward stored.
// Each half-step's Jacobian is a row/column-normalised kernel; kernels are rebuilt from M on a base
// pair of potentials (one rebuild per segment of iterations that stay close to it), and the
// gradient with respect to M is accumulated as a blocked product of the per-iteration vectors.
#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <vector>

#include "common/parallel.h"
#include "cpu/sinkhorn.h"
#include "cpu/sinkhorn_gemm.h"
#include "cpu/sinkhorn_kernels.h"
#include "cpu/thread_buffer.h"
#include "cpu/sinkhorn_team.h"
#include "cpu/sinkhorn_value.h"

namespace ot::cpu {
namespace {
using namespace sk;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kBlock = 64;  // rank-1 terms per blocked product (two per iteration)

inline double finiteOr0(double x) { return std::isfinite(x) ? x : 0.0; }

template <typename T>
class Backward {
 public:
  Backward(const SinkhornAdjoint<T>& p, int nt) : p_(p), nt_(nt), n_(p.n), m_(p.m), K_(static_cast<long>(p.iterations)),
                                                  c_(-1.0 / p.reg), team_(nt) {}

  Status run() {
    try {
      allocate();
    } catch (const std::bad_alloc&) {
      return Status::OutOfMemory;
    }
    planSegments();
    runTeam(nt_, [this](int tid, int nt) { body(tid, nt); });
    return Status::Ok;
  }

 private:
  const SinkhornAdjoint<T>& p_;
  const int nt_;
  const size_t n_, m_;
  const long K_;
  const double c_;
  Team team_;
  ThreadBuffer<T> Kt_;  // kept by the thread between calls: no fresh pages per call
  std::vector<double> gu_, gv_, xz_, yw_, Y_, gloga_, glogb_, daDirect_, dbDirect_, alpha_, P_, P2_, FX_, FY_, logbShift_;
  std::vector<size_t> deadCols_;  // columns of zero weight
  // Per-thread buffers, allocated up front so that no worker thread allocates (or throws).
  struct Scratch {
    std::vector<double> beta, X, Xp, pack;
  };
  std::vector<Scratch> scratch_;
  bool finite_ = true;  // the final potentials are all finite (no zero weights): the first kernel is the plan
  // Half-step h (0 = z^K, 1 = w^K, 2 = z^(K-1), ...) uses kernel base segBase_[segOf_[h]] = (u, v) potentials.
  std::vector<int> segOf_;
  std::vector<std::pair<const double*, const double*>> segBase_;

  const double* hu(long k) const { return k == 0 ? p_.history : p_.history + n_ + static_cast<size_t>(k - 1) * (n_ + m_) + m_; }
  const double* hv(long k) const { return p_.history + n_ + static_cast<size_t>(k - 1) * (n_ + m_); }
  // The v that the u-update of iteration k read: v^k, or the detached v of a last_step record.
  const double* hvz(long k) const { return p_.lastStep ? p_.history + 2 * n_ + m_ : hv(k); }
  bool wantM() const { return p_.dM != nullptr; }

  void allocate() {
    Kt_.resize(n_ * m_);
    scratch_.resize(nt_);
    for (int t = 0; t < nt_; ++t) {
      Range rows = splitRange(n_, t, nt_);
      scratch_[t].beta.assign(m_, 0.0);
      scratch_[t].X.assign(n_, 0.0);
      scratch_[t].Xp.assign(n_, 0.0);
      // FX's owned rows regrouped for the blocked product (thread 0 may come to own every row).
      if (wantM()) scratch_[t].pack.assign(static_cast<size_t>(kBlock) * (t == 0 ? n_ : rows.end - rows.begin), 0.0);
    }
    gu_.assign(n_, 0.0); xz_.assign(n_, 0.0); gloga_.assign(n_, 0.0); daDirect_.assign(n_, 0.0); alpha_.assign(n_, 0.0);
    gv_.assign(m_, 0.0); yw_.assign(m_, 0.0); Y_.assign(m_, 0.0); glogb_.assign(m_, 0.0); dbDirect_.assign(m_, 0.0);
    logbShift_.assign(m_, 0.0);
    for (size_t j = 0; j < m_; ++j)
      if (!(p_.b[j] > 0)) deadCols_.push_back(j);
    if (p_.regType == EntropicReg::KL)
      for (size_t j = 0; j < m_; ++j) logbShift_[j] = std::log(p_.b[j]);
    for (size_t i = 0; i < n_ && finite_; ++i) finite_ = std::isfinite(hu(K_)[i]);
    for (size_t j = 0; j < m_ && finite_; ++j) finite_ = std::isfinite(hv(K_)[j]);
    P_.assign(static_cast<size_t>(nt_) * m_, 0.0);
    P2_.assign(static_cast<size_t>(nt_) * m_, 0.0);
    if (wantM()) {
      FX_.assign(static_cast<size_t>(kBlock) * n_, 0.0);
      FY_.assign(static_cast<size_t>(kBlock) * m_, 0.0);
    }
  }

  // Largest |x - base| over finite entries of x (base's -inf entries count as 0, like the kernel's).
  static double reach(const double* x, const double* base, size_t len) {
    v8d d = splat(0);
    size_t i = 0;
    for (; i + kLanes <= len; i += kLanes) {
      v8d xi = load8(x + i), bi = load8(base + i);
      bi = bi - bi == 0.0 ? bi : splat(0.0);
      d = vmax(d, xi - xi == 0.0 ? vabs(xi - bi) : splat(0.0));
    }
    double r = hmax(d);
    for (; i < len; ++i)
      if (std::isfinite(x[i])) r = std::max(r, std::fabs(x[i] - finiteOr0(base[i])));
    return r;
  }

  // Greedy from the last half-step backwards: a new base whenever the potentials drift too far.
  // Consecutive half-steps share a vector, so each reach is computed once per base.
  void planSegments() {
    const long H = 2 * K_;
    segOf_.resize(H);
    const double* bu = hu(K_);
    const double* bv = hv(K_);
    segBase_.push_back({bu, bv});
    struct Memo {
      const double *x = nullptr, *base = nullptr;
      double r = 0;
    } mu, mv;
    auto cached = [](Memo& memo, const double* x, const double* base, size_t len) {
      if (x == base) return 0.0;
      if (memo.x != x || memo.base != base) memo = {x, base, reach(x, base, len)};
      return memo.r;
    };
    for (long h = 0; h < H; ++h) {
      long k = K_ - h / 2;
      const double* ku = h % 2 == 0 ? hu(k) : hu(k - 1);
      const double* kv = h % 2 == 0 ? hvz(k) : hv(k);
      bool near = cached(mu, ku, bu, n_) <= kKernelReach<T> && cached(mv, kv, bv, m_) <= kKernelReach<T>;
      if (!near) {
        bu = ku;
        bv = kv;
        segBase_.push_back({bu, bv});
      }
      segOf_[h] = static_cast<int>(segBase_.size() - 1);
    }
  }

  // Scalings of potentials x relative to the base (0 where x is -inf, i.e. a zero weight).
  static void scalings(const double* x, const double* base, double* out, size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) out[i] = x[i] - finiteOr0(base[i]);
    expArray(out + b, out + b, e - b);
  }

  void rebuild(Range rows, int seg, std::vector<double>& beta) {
    const double* bu = segBase_[seg].first;
    const double* bv = segBase_[seg].second;
    for (size_t j = 0; j < m_; ++j) beta[j] = finiteOr0(bv[j]);
    for (size_t i = rows.begin; i < rows.end; ++i) {
      alpha_[i] = finiteOr0(bu[i]);
      buildKernelRow(Kt_.data() + i * m_, p_.M + i * m_, c_, alpha_[i], beta.data(), m_);
      zeroDead(i);
    }
  }

  // Rows and columns of zero weight carry no plan (their potentials are -inf), but their kernel
  // entries, built on a 0 base, can overflow when reg is small; 0 x inf would then spread NaN
  // through the column sums. Their kernel is 0.
  void zeroDead(size_t i) {
    T* Ki = Kt_.data() + i * m_;
    if (!(p_.a[i] > 0)) {
      std::fill(Ki, Ki + m_, T(0));
      return;
    }
    for (size_t j : deadCols_) Ki[j] = T(0);
  }

  void flush(Range rows, int& slots, std::vector<double>& pack) {
    if (wantM() && slots > 0)
      gemmFlushRows(p_.dM, Kt_.data(), m_, FX_.data(), n_, FY_.data(), slots, rows.begin, rows.end, -c_, pack.data());
    slots = 0;
  }

  // Seeds from value, valueLinear, plan and the potentials, and the plan's own dependence on M:
  // with p = exp(x), x = -M/reg + u^K + v^K and dP the gradient reaching p (see sinkhorn_value.h),
  // dx = dP p feeds -M/reg directly and, summed by rows and columns, u^K and v^K.
  void seed(Range rows, int tid, std::vector<double>& beta) {
    const double gLin = p_.gValue + p_.gValueLinear, gReg = p_.gValue * p_.reg;
    const bool kl = p_.regType == EntropicReg::KL;
    const double* uK = hu(K_);
    const double* vK = hv(K_);
    for (size_t j = 0; j < m_; ++j) beta[j] = finiteOr0(vK[j]);
    double* Pt = P_.data() + static_cast<size_t>(tid) * m_;
    double* P2t = P2_.data() + static_cast<size_t>(tid) * m_;
    const double* lb = logbShift_.data();
    for (size_t i = rows.begin; i < rows.end; ++i) {
      alpha_[i] = finiteOr0(uK[i]);
      const T* Mi = p_.M + i * m_;
      T* Ki = Kt_.data() + i * m_;
      T* dMi = wantM() ? p_.dM + i * m_ : nullptr;
      const T* gPi = p_.gPlan ? p_.gPlan + i * m_ : nullptr;
      const double ui = uK[i], ai = alpha_[i];
      const double shift = gReg * regularizerRowShift(p_.regType, std::log(p_.a[i]));
      v8d rowG = splat(0), rowP = splat(0);
      auto chunk = [&](size_t j, size_t cnt) {
        const bool full = cnt == kLanes;
        v8d mij = full ? load8(Mi + j) : loadTail(Mi + j, cnt, 0.0);
        v8d x = mij * c_ + ui + (full ? load8(vK + j) : loadTail(vK + j, cnt, -kInf));
        v8d pij = exp8(x);
        v8d kt = finite_ ? pij : exp8(mij * c_ + ai + (full ? load8(beta.data() + j) : loadTail(beta.data() + j, cnt, 0.0)));
        v8d dP = mij * gLin + (x - (full ? load8(lb + j) : loadTail(lb + j, cnt, 0.0))) * gReg + shift;
        if (gPi) dP += full ? load8(gPi + j) : loadTail(gPi + j, cnt, 0.0);
        v8d g = pij > 0.0 ? dP * pij : splat(0.0);
        rowG += g;
        rowP += pij;
        v8d d = g * c_;
        if (p_.directTerms) d += pij * gLin;
        if (full) {
          store8(Pt + j, load8(Pt + j) + g);
          store8(P2t + j, load8(P2t + j) + pij);
          store8(Ki + j, kt);
          if (dMi) store8(dMi + j, d);
        } else {
          for (size_t k = 0; k < cnt; ++k) {
            Pt[j + k] += g[k];
            P2t[j + k] += pij[k];
          }
          storeTail(Ki + j, kt, cnt);
          if (dMi) storeTail(dMi + j, d, cnt);
        }
      };
      const size_t vec = m_ / kLanes * kLanes;
      for (size_t j = 0; j < vec; j += kLanes) chunk(j, kLanes);
      if (vec < m_) chunk(vec, m_ - vec);
      zeroDead(i);
      gu_[i] = hsum(rowG) + (p_.gLogU ? static_cast<double>(p_.gLogU[i]) : 0.0);
      daDirect_[i] = p_.directTerms && kl && p_.a[i] > 0 ? -gReg * hsum(rowP) / p_.a[i] : 0.0;
    }
  }

  void body(int tid, int nt) {
    FlushDenormals ftz;
    Range rows = splitRange(n_, tid, nt);
    Range cols = splitRange(m_, tid, nt, kLanes);
    double* Pt = P_.data() + static_cast<size_t>(tid) * m_;
    Scratch& own = scratch_[tid];
    std::vector<double>& beta = own.beta;
    std::vector<double>& X = own.X;
    std::vector<double>& Xp = own.Xp;
    std::vector<double>& pack = own.pack;
    std::fill(Pt, Pt + m_, 0.0);
    std::fill(P2_.data() + static_cast<size_t>(tid) * m_, P2_.data() + static_cast<size_t>(tid + 1) * m_, 0.0);
    seed(rows, tid, beta);
    team_.sync(tid);
    if (tid == 0) team_.startClock();
    const double gReg = p_.gValue * p_.reg;
    for (size_t j = cols.begin; j < cols.end; ++j) {
      double s = 0, s2 = 0;
      for (int t = 0; t < nt; ++t) {
        s += P_[t * m_ + j];
        s2 += P2_[t * m_ + j];
      }
      gv_[j] = s + (p_.gLogV ? static_cast<double>(p_.gLogV[j]) : 0.0);
      dbDirect_[j] = p_.directTerms && p_.regType == EntropicReg::KL && p_.b[j] > 0 ? -gReg * s2 / p_.b[j] : 0.0;
    }
    team_.sync(tid);
    int seg = 0, slots = 0;
    bool partialsReady = false;  // phase C' already summed the next z half-step's columns
    for (long k = K_; k >= 1; --k) {
      const long hz = 2 * (K_ - k);
      // z^k: the u-update's Jacobian, on base seg.
      if (segOf_[hz] != seg) {
        flush(rows, slots, pack);
        seg = segOf_[hz];
        rebuild(rows, seg, beta);
      }
      if (!partialsReady) {
        scalings(hu(k), segBase_[seg].first, X.data(), rows.begin, rows.end);
        for (size_t i = rows.begin; i < rows.end; ++i) xz_[i] = p_.a[i] > 0 ? gu_[i] * X[i] / p_.a[i] : 0.0;
        std::fill(Pt, Pt + m_, 0.0);
        accumulateColumns(Pt, Kt_.data() + rows.begin * m_, m_, xz_.data() + rows.begin, rows.end - rows.begin, m_);
      }
      partialsReady = false;
      if (wantM()) std::copy(xz_.begin() + rows.begin, xz_.begin() + rows.end, FX_.begin() + slots * n_ + rows.begin);
      team_.sync(tid);
      scalings(hvz(k), segBase_[seg].second, Y_.data(), cols.begin, cols.end);
      for (size_t j = cols.begin; j < cols.end; ++j) {
        double s = 0;
        for (int t = 0, members = team_.size(); t < members; ++t) s += P_[t * m_ + j];
        // A last_step's u-update read the detached v: its gradient stops there.
        double g = (k == K_ ? gv_[j] : 0.0) - (p_.lastStep ? 0.0 : Y_[j] * s);
        gv_[j] = g;
        glogb_[j] += g;
      }
      if (wantM()) std::copy(Y_.begin() + cols.begin, Y_.begin() + cols.end, FY_.begin() + slots * m_ + cols.begin);
      ++slots;
      // w^k: the v-update's Jacobian, possibly on a new base.
      if (segOf_[hz + 1] != seg) {  // every thread flushes what FY holds before anyone refills it
        team_.sync(tid);
        flush(rows, slots, pack);
        seg = segOf_[hz + 1];
        rebuild(rows, seg, beta);
        team_.sync(tid);
        scalings(hv(k), segBase_[seg].second, Y_.data(), cols.begin, cols.end);
      } else if (p_.lastStep) {
        scalings(hv(k), segBase_[seg].second, Y_.data(), cols.begin, cols.end);
      }
      for (size_t j = cols.begin; j < cols.end; ++j) yw_[j] = p_.b[j] > 0 ? Y_[j] * gv_[j] / p_.b[j] : 0.0;
      if (wantM()) std::copy(yw_.begin() + cols.begin, yw_.begin() + cols.end, FY_.begin() + slots * m_ + cols.begin);
      if (tid == 0) team_.propose();
      const int members = team_.size();
      team_.sync(tid);
      if (team_.leave(tid)) return;
      if (members > 1 && team_.size() == 1) {  // thread 0 carries on alone from here
        rows = {0, n_};
        cols = {0, m_};
      }
      scalings(hu(k - 1), segBase_[seg].first, Xp.data(), rows.begin, rows.end);
      // With the next z half-step on the same kernel, its column sums are taken here, group by group,
      // while the rows are in L1 (u^(k-1)'s scalings are Xp).
      partialsReady = k > 1 && segOf_[hz + 2] == seg;
      if (partialsReady) std::fill(Pt, Pt + m_, 0.0);
      constexpr size_t kGroup = 4;
      for (size_t i0 = rows.begin; i0 < rows.end; i0 += kGroup) {
        const size_t cnt = std::min(kGroup, rows.end - i0);
        for (size_t i = i0; i < i0 + cnt; ++i) {
          gloga_[i] += gu_[i];
          gu_[i] = -Xp[i] * dotRow(Kt_.data() + i * m_, yw_.data(), m_);
          xz_[i] = p_.a[i] > 0 ? gu_[i] * Xp[i] / p_.a[i] : 0.0;
        }
        if (partialsReady) accumulateColumns(Pt, Kt_.data() + i0 * m_, m_, xz_.data() + i0, cnt, m_);
      }
      if (wantM()) std::copy(Xp.begin() + rows.begin, Xp.begin() + rows.end, FX_.begin() + slots * n_ + rows.begin);
      ++slots;
      // A mid-iteration flush (new kernel base at the w half-step) leaves slots odd: test for room
      // for the next iteration's two terms, not for equality with kBlock.
      if (slots + 2 > kBlock) flush(rows, slots, pack);
    }
    flush(rows, slots, pack);
    if (p_.da)
      for (size_t i = rows.begin; i < rows.end; ++i)
        p_.da[i] = (p_.a[i] > 0 ? gloga_[i] / p_.a[i] : 0.0) + daDirect_[i];
    if (p_.db)
      for (size_t j = cols.begin; j < cols.end; ++j)
        p_.db[j] = (p_.b[j] > 0 ? glogb_[j] / p_.b[j] : 0.0) + dbDirect_[j];
  }
};

}  // namespace

template <typename T>
Status sinkhornBackward(const SinkhornAdjoint<T>& p) {
  if (!p.M || !p.a || !p.b || !p.history || p.n == 0 || p.m == 0 || p.iterations < 1 || !(p.reg > 0))
    return Status::BadArgument;
  Backward<T> b(p, sk::teamSizeFor(p.n, p.m));
  return b.run();
}

template Status sinkhornBackward<float>(const SinkhornAdjoint<float>&);
template Status sinkhornBackward<double>(const SinkhornAdjoint<double>&);

}  // namespace ot::cpu
