// Fused dual-OT kernels: threads own row blocks, each row is swept in column tiles so every inner loop
// is contiguous and branch-free (the compiler vectorises it, exp included); column sums go to per-thread
// accumulators that are reduced in thread order at the end, so results do not depend on timing.
#include "cpu/dual.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "common/parallel.h"

namespace ot::dual {
namespace {

constexpr size_t kTile = 256;

// exp by Cody–Waite reduction to |r| <= ln2/2 and a degree-13 Taylor polynomial (within ~1 ulp of
// std::exp), written branch-free so loops over it vectorise. Below the normal range it returns 0.
inline double expFast(double x) {
  const double xc = std::min(std::max(x, -708.0), 709.0);
  const double shifter = 6755399441055744.0;  // 1.5·2^52: t's low mantissa bits hold round(xc/ln2)
  const double t = xc * 1.4426950408889634 + shifter;
  const double k = t - shifter;
  double r = xc - k * 6.93147180369123816490e-01;
  r = r - k * 1.90821492927058770002e-10;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  int64_t bits;
  std::memcpy(&bits, &t, sizeof bits);
  bits = (bits << 52) + (int64_t{1023} << 52);
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const double y = p * scale;
  const double big = x > 709.0 ? std::numeric_limits<double>::infinity() : y;
  return x < -708.0 ? 0.0 : big;
}

// float twin: degree-7 polynomial, exponent built in 32-bit integers.
inline float expFast(float x) {
  const float xc = std::min(std::max(x, -87.0f), 88.0f);
  const float shifter = 12582912.0f;  // 1.5·2^23
  const float t = xc * 1.44269504f + shifter;
  const float k = t - shifter;
  float r = xc - k * 0.693359375f;
  r = r - k * -2.12194440e-4f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits;
  std::memcpy(&bits, &t, sizeof bits);
  bits = static_cast<int32_t>((static_cast<uint32_t>(bits) << 23) + (uint32_t{127} << 23));
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float y = p * scale;
  const float big = x > 88.0f ? std::numeric_limits<float>::infinity() : y;
  return x < -87.0f ? 0.0f : big;
}

// Sum of a tile with independent lane accumulators (a plain loop would be a serial dependency chain).
template <typename T>
inline double tileSum(const T* x, size_t len) {
  constexpr size_t L = 16;
  T acc[L] = {};
  size_t j = 0;
  for (; j + L <= len; j += L)
    for (size_t l = 0; l < L; ++l) acc[l] += x[j + l];
  double s = 0;
  for (size_t l = 0; l < L; ++l) s += acc[l];
  for (; j < len; ++j) s += x[j];
  return s;
}

template <typename T>
inline T signOf(T x) {
  return static_cast<T>((x > T(0)) - (x < T(0)));
}

// Everything a row sweep reads, resolved once per call.
template <typename T>
struct Ctx {
  const T* u;
  const T* v;
  const T* xs;
  const T* ws;
  const T* wt;
  const T* xtT;    // xt transposed to d×m so each coordinate is a contiguous column stream
  const T* invNs;  // cosine: 1/|xs_i|
  const T* invNt;  // cosine: 1/|xt_j|
  size_t n, m, d;
  T reg, invReg, inv2Reg, p;
};

// Per-thread scratch and column accumulators (allocated before the team starts).
template <typename T>
struct Scratch {
  std::vector<T> D, wa, wf, aw, Q, g;  // tile buffers
  std::vector<int> arg;                // chebyshev: maximising coordinate per pair
  std::vector<double> rowX;            // d row-gradient sums of the current row
  std::vector<T> colP, colW, colX;     // Σ_i P_ij; Σ_i ws_i F_ij; d×m Σ_i P_ij ∂M_ij/∂xt_j
  double loss = 0;
  void init(size_t m, size_t d, bool wantV, bool wantWt, bool wantX) {
    D.assign(kTile, T(0));
    wa.assign(kTile, T(0));
    wf.assign(kTile, T(0));
    aw.assign(kTile, T(0));
    Q.assign(kTile, T(0));
    g.assign(kTile, T(0));
    arg.assign(kTile, 0);
    rowX.assign(d, 0.0);
    if (wantV) colP.assign(m, T(0));
    if (wantWt) colW.assign(m, T(0));
    if (wantX) colX.assign(d * m, T(0));
  }
};

// Costs M_ij of source row x against tile columns [j0, j0+len) into D (and the argmax for chebyshev).
template <typename T, Metric Mt>
inline void costTile(const Ctx<T>& c, size_t i, size_t j0, size_t len, T* D, int* arg) {
  const T* x = c.xs + i * c.d;
  const size_t m = c.m;
  if constexpr (Mt == Metric::Cosine) {
    for (size_t j = 0; j < len; ++j) D[j] = T(0);
    for (size_t k = 0; k < c.d; ++k) {
      const T xk = x[k];
      const T* col = c.xtT + k * m + j0;
      for (size_t j = 0; j < len; ++j) D[j] += xk * col[j];
    }
    const T sx = c.invNs[i];
    const T* iy = c.invNt + j0;
    for (size_t j = 0; j < len; ++j) D[j] = T(1) - D[j] * sx * iy[j];
    return;
  }
  for (size_t k = 0; k < c.d; ++k) {
    const T xk = x[k];
    const T* col = c.xtT + k * m + j0;
    if constexpr (Mt == Metric::SqEuclidean || Mt == Metric::Euclidean) {
      if (k == 0) {
        for (size_t j = 0; j < len; ++j) { const T dl = xk - col[j]; D[j] = dl * dl; }
      } else {
        for (size_t j = 0; j < len; ++j) { const T dl = xk - col[j]; D[j] += dl * dl; }
      }
    } else if constexpr (Mt == Metric::Cityblock) {
      if (k == 0) {
        for (size_t j = 0; j < len; ++j) D[j] = std::abs(xk - col[j]);
      } else {
        for (size_t j = 0; j < len; ++j) D[j] += std::abs(xk - col[j]);
      }
    } else if constexpr (Mt == Metric::Minkowski) {
      if (k == 0) {
        for (size_t j = 0; j < len; ++j) D[j] = std::pow(std::abs(xk - col[j]), c.p);
      } else {
        for (size_t j = 0; j < len; ++j) D[j] += std::pow(std::abs(xk - col[j]), c.p);
      }
    } else if constexpr (Mt == Metric::Chebyshev) {
      const int kk = static_cast<int>(k);
      if (k == 0) {
        for (size_t j = 0; j < len; ++j) { D[j] = std::abs(xk - col[j]); arg[j] = 0; }
      } else {
        for (size_t j = 0; j < len; ++j) {
          const T a = std::abs(xk - col[j]);
          const bool more = a > D[j];
          arg[j] = more ? kk : arg[j];
          D[j] = more ? a : D[j];
        }
      }
    }
  }
  if constexpr (Mt == Metric::Euclidean) {
    for (size_t j = 0; j < len; ++j) D[j] = std::sqrt(D[j]);
  } else if constexpr (Mt == Metric::Minkowski) {
    const T ip = T(1) / c.p;
    for (size_t j = 0; j < len; ++j) D[j] = std::pow(D[j], ip);
  }
}

// Q[j] = P_ij times the metric's common factor of ∂M/∂x (so the per-coordinate pass is one multiply).
template <typename T, Metric Mt>
inline void gradScale(const Ctx<T>& c, const T* P, const T* D, size_t len, T* Q) {
  if constexpr (Mt == Metric::SqEuclidean) {
    for (size_t j = 0; j < len; ++j) Q[j] = T(2) * P[j];
  } else if constexpr (Mt == Metric::Euclidean) {
    // Zero distance: the subgradient 0 (torch's sqrt would give NaN there).
    for (size_t j = 0; j < len; ++j) Q[j] = D[j] > T(0) ? P[j] / D[j] : T(0);
  } else if constexpr (Mt == Metric::Minkowski) {
    for (size_t j = 0; j < len; ++j) Q[j] = D[j] > T(0) ? P[j] * std::pow(D[j], T(1) - c.p) : T(0);
  } else {
    for (size_t j = 0; j < len; ++j) Q[j] = P[j];
  }
}

// Adds Σ_j P_ij ∂M_ij/∂xs_i into rowX and P_ij ∂M_ij/∂xt_j into the thread's column sums.
template <typename T, Metric Mt>
inline void gradTile(const Ctx<T>& c, size_t i, size_t j0, size_t len, Scratch<T>& s) {
  const T* x = c.xs + i * c.d;
  const size_t m = c.m;
  const T* Q = s.Q.data();
  const T* D = s.D.data();
  T* g = s.g.data();
  for (size_t k = 0; k < c.d; ++k) {
    const T xk = x[k];
    const T* col = c.xtT + k * m + j0;
    T* cx = s.colX.data() + k * m + j0;
    if constexpr (Mt == Metric::Cosine) {
      // ∂M/∂x_k = cos·x_k/|x|² − y_k/(|x||y|);  ∂M/∂y_k = cos·y_k/|y|² − x_k/(|x||y|).
      const T sx = c.invNs[i];
      const T* iy = c.invNt + j0;
      T* gt = s.wf.data();  // free during the gradient pass
      for (size_t j = 0; j < len; ++j) {
        const T cs = T(1) - D[j];
        const T sxy = sx * iy[j];
        g[j] = Q[j] * (cs * xk * sx * sx - col[j] * sxy);
        gt[j] = Q[j] * (cs * col[j] * iy[j] * iy[j] - xk * sxy);
        cx[j] += gt[j];
      }
    } else {
      if constexpr (Mt == Metric::SqEuclidean || Mt == Metric::Euclidean) {
        for (size_t j = 0; j < len; ++j) g[j] = Q[j] * (xk - col[j]);
      } else if constexpr (Mt == Metric::Cityblock) {
        for (size_t j = 0; j < len; ++j) g[j] = Q[j] * signOf(xk - col[j]);
      } else if constexpr (Mt == Metric::Minkowski) {
        for (size_t j = 0; j < len; ++j) {
          const T dl = xk - col[j];
          g[j] = Q[j] * signOf(dl) * std::pow(std::abs(dl), c.p - T(1));
        }
      } else if constexpr (Mt == Metric::Chebyshev) {
        const int kk = static_cast<int>(k);
        const int* arg = s.arg.data();
        for (size_t j = 0; j < len; ++j) g[j] = arg[j] == kk ? Q[j] * signOf(xk - col[j]) : T(0);
      }
      // Difference metrics: ∂M/∂xt_j = −∂M/∂xs_i.
      for (size_t j = 0; j < len; ++j) cx[j] -= g[j];
    }
    s.rowX[k] += tileSum(g, len);
  }
}

struct Want {
  bool u, v, x, ws, wt;
};

// One thread's share: rows [rb, re) against every column.
template <typename T, Kind K, Metric Mt>
Status sweepRows(const Ctx<T>& c, size_t rb, size_t re, Scratch<T>& s, Want w, const Grads<T>& g, CancelFlag cancel,
                 const std::atomic<bool>& stop) {
  T* D = s.D.data();
  T* wa = s.wa.data();
  T* wf = s.wf.data();
  T* aw = s.aw.data();
  T* Q = s.Q.data();
  const T reg = c.reg, invReg = c.invReg, inv2Reg = c.inv2Reg;
  for (size_t i = rb; i < re; ++i) {
    if ((i - rb) % 16 == 0 && (cancel.raised() || stop.load(std::memory_order_relaxed))) return Status::Aborted;
    const T ui = c.u[i];
    const T wsi = c.ws[i];
    double R = 0, FR = 0;
    if (w.x) std::fill(s.rowX.begin(), s.rowX.end(), 0.0);
    for (size_t j0 = 0; j0 < c.m; j0 += kTile) {
      const size_t len = std::min(kTile, c.m - j0);
      costTile<T, Mt>(c, i, j0, len, D, s.arg.data());
      const T* vt = c.v + j0;
      const T* wtt = c.wt + j0;
      if constexpr (K == Kind::Entropic) {
        // a = exp((u+v−M)/reg), wa = wt·a; the loss term wt·F = −reg·wa needs no buffer of its own.
        for (size_t j = 0; j < len; ++j) {
          const T a = expFast((ui + vt[j] - D[j]) * invReg);
          aw[j] = a;
          wa[j] = wtt[j] * a;
        }
        R += tileSum(wa, len);
        if (w.wt) {
          T* cw = s.colW.data() + j0;
          const T f = -reg * wsi;
          for (size_t j = 0; j < len; ++j) cw[j] += f * aw[j];
        }
      } else {
        // a = max(u+v−M, 0)/(2 reg), F = −max(·,0)²/(4 reg) = −a·max(·,0)/2.
        for (size_t j = 0; j < len; ++j) {
          const T z = std::max(ui + vt[j] - D[j], T(0));
          const T a = z * inv2Reg;
          const T F = T(-0.5) * a * z;
          aw[j] = F;
          wa[j] = wtt[j] * a;
          wf[j] = wtt[j] * F;
        }
        R += tileSum(wa, len);
        FR += tileSum(wf, len);
        if (w.wt) {
          T* cw = s.colW.data() + j0;
          for (size_t j = 0; j < len; ++j) cw[j] += wsi * aw[j];
        }
      }
      if (w.v) {
        T* cp = s.colP.data() + j0;
        for (size_t j = 0; j < len; ++j) cp[j] += wsi * wa[j];
      }
      if (w.x) {
        for (size_t j = 0; j < len; ++j) wa[j] *= wsi;  // now the plan entries P_ij
        gradScale<T, Mt>(c, wa, D, len, Q);
        gradTile<T, Mt>(c, i, j0, len, s);
      }
    }
    if constexpr (K == Kind::Entropic) FR = -static_cast<double>(reg) * R;
    s.loss += static_cast<double>(wsi) * (static_cast<double>(ui) + FR);
    if (w.u) g.du[i] = static_cast<T>(static_cast<double>(wsi) * (1.0 - R));
    if (w.ws) g.dws[i] = static_cast<T>(static_cast<double>(ui) + FR);
    if (w.x)
      for (size_t k = 0; k < c.d; ++k) g.dxs[i * c.d + k] = static_cast<T>(s.rowX[k]);
  }
  return Status::Ok;
}

// Weights, transposed targets and cosine norms: the O(n + m·d) set-up shared by loss and plan.
template <typename T>
struct Prepared {
  std::vector<T> ws, wt, xtT, invNs, invNt;
  Ctx<T> ctx{};
  Status init(const Problem<T>& pb) {
    if (pb.n == 0 || pb.m == 0 || pb.d == 0 || !(pb.reg > 0)) return Status::BadArgument;
    try {
      if (!pb.ws) ws.assign(pb.n, static_cast<T>(1.0 / static_cast<double>(pb.n)));
      if (!pb.wt) wt.assign(pb.m, static_cast<T>(1.0 / static_cast<double>(pb.m)));
      xtT.resize(pb.m * pb.d);
      for (size_t j = 0; j < pb.m; ++j)
        for (size_t k = 0; k < pb.d; ++k) xtT[k * pb.m + j] = pb.xt[j * pb.d + k];
      if (pb.metric == Metric::Cosine) {
        invNs.resize(pb.n);
        invNt.resize(pb.m);
        auto norms = [&](const T* x, size_t rows, std::vector<T>& out) {
          for (size_t r = 0; r < rows; ++r) {
            double q = 0;
            for (size_t k = 0; k < pb.d; ++k) q += static_cast<double>(x[r * pb.d + k]) * x[r * pb.d + k];
            out[r] = static_cast<T>(1.0 / std::sqrt(q));
          }
        };
        norms(pb.xs, pb.n, invNs);
        norms(pb.xt, pb.m, invNt);
      }
    } catch (const std::bad_alloc&) {
      return Status::OutOfMemory;
    }
    ctx = Ctx<T>{pb.u, pb.v, pb.xs, pb.ws ? pb.ws : ws.data(), pb.wt ? pb.wt : wt.data(), xtT.data(),
                 invNs.empty() ? nullptr : invNs.data(), invNt.empty() ? nullptr : invNt.data(),
                 pb.n, pb.m, pb.d, static_cast<T>(pb.reg), static_cast<T>(1.0 / pb.reg),
                 static_cast<T>(0.5 / pb.reg), static_cast<T>(pb.p)};
    return Status::Ok;
  }
};

// Scalar operations per pair, for sizing the thread team.
inline double pairCost(size_t d, bool grads) { return 12.0 + (grads ? 10.0 : 4.0) * static_cast<double>(d); }

inline int teamFor(size_t n, size_t m, size_t d, bool grads, int threads) {
  int t = threads > 0 ? threads : teamSizeFor(static_cast<double>(n) * static_cast<double>(m) * pairCost(d, grads));
  return static_cast<int>(std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(t), n)));
}

template <typename T, Kind K, Metric Mt>
Status lossImpl(const Problem<T>& pb, double* loss, const Grads<T>& g, CancelFlag cancel, int threads) {
  Prepared<T> prep;
  if (Status st = prep.init(pb); st != Status::Ok) return st;
  const Ctx<T>& c = prep.ctx;
  const Want w{g.du != nullptr, g.dv != nullptr, g.dxs != nullptr || g.dxt != nullptr, g.dws != nullptr, g.dwt != nullptr};
  const int nt = teamFor(pb.n, pb.m, pb.d, w.x, threads);
  std::vector<Scratch<T>> scratch;
  // Column sums of the rows' x-gradients also need the xs-side pass, so dxt alone still runs it.
  std::vector<T> dxsTmp;
  Grads<T> gg = g;
  try {
    scratch.resize(nt);
    for (auto& s : scratch) s.init(pb.m, pb.d, w.v, w.wt, w.x);
    if (w.x && !gg.dxs) {
      dxsTmp.resize(pb.n * pb.d);
      gg.dxs = dxsTmp.data();
    }
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  std::vector<Status> status(nt, Status::Ok);
  std::atomic<bool> stop{false};
  runTeam(nt, [&](int tid, int team) {
    Range r = splitRange(pb.n, tid, team);
    status[tid] = sweepRows<T, K, Mt>(c, r.begin, r.end, scratch[tid], w, gg, cancel, stop);
    if (status[tid] != Status::Ok) stop.store(true, std::memory_order_relaxed);
  });
  for (Status st : status)
    if (st != Status::Ok) return st;
  double total = 0;
  for (const auto& s : scratch) total += s.loss;
  for (size_t j = 0; j < pb.m; ++j) total += static_cast<double>(c.v[j]) * c.wt[j];
  *loss = total;
  // Reduce the per-thread column accumulators in thread order (deterministic for a given team size).
  for (size_t j = 0; j < pb.m; ++j) {
    if (w.v) {
      double sp = 0;
      for (const auto& s : scratch) sp += s.colP[j];
      g.dv[j] = static_cast<T>(static_cast<double>(c.wt[j]) - sp);
    }
    if (w.wt) {
      double sw = 0;
      for (const auto& s : scratch) sw += s.colW[j];
      g.dwt[j] = static_cast<T>(static_cast<double>(c.v[j]) + sw);
    }
    if (g.dxt) {
      for (size_t k = 0; k < pb.d; ++k) {
        double sx = 0;
        for (const auto& s : scratch) sx += s.colX[k * pb.m + j];
        g.dxt[j * pb.d + k] = static_cast<T>(sx);
      }
    }
  }
  return Status::Ok;
}

template <typename T, Kind K, Metric Mt>
Status planImpl(const Problem<T>& pb, T* G, CancelFlag cancel, int threads) {
  Prepared<T> prep;
  if (Status st = prep.init(pb); st != Status::Ok) return st;
  const Ctx<T>& c = prep.ctx;
  const int nt = teamFor(pb.n, pb.m, pb.d, false, threads);
  std::vector<Scratch<T>> scratch;
  try {
    scratch.resize(nt);
    for (auto& s : scratch) s.init(pb.m, pb.d, false, false, false);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  std::atomic<bool> aborted{false};
  runTeam(nt, [&](int tid, int team) {
    Range r = splitRange(pb.n, tid, team);
    T* D = scratch[tid].D.data();
    for (size_t i = r.begin; i < r.end; ++i) {
      if ((i - r.begin) % 16 == 0 && cancel.raised()) {
        aborted.store(true, std::memory_order_relaxed);
        return;
      }
      const T ui = c.u[i];
      const T wsi = c.ws[i];
      for (size_t j0 = 0; j0 < c.m; j0 += kTile) {
        const size_t len = std::min(kTile, c.m - j0);
        costTile<T, Mt>(c, i, j0, len, D, scratch[tid].arg.data());
        const T* vt = c.v + j0;
        const T* wtt = c.wt + j0;
        T* row = G + i * c.m + j0;
        for (size_t j = 0; j < len; ++j) {
          T h;
          if constexpr (K == Kind::Entropic) {
            h = expFast((ui + vt[j] - D[j]) * c.invReg);
          } else {
            h = std::max(ui + vt[j] - D[j], T(0)) * c.inv2Reg;
          }
          row[j] = wsi * h * wtt[j];
        }
      }
    }
  });
  return aborted.load() ? Status::Aborted : Status::Ok;
}

template <typename T, Kind K, typename F>
Status byMetric(Metric mt, F&& f) {
  switch (mt) {
    case Metric::SqEuclidean: return f(std::integral_constant<Metric, Metric::SqEuclidean>{});
    case Metric::Euclidean: return f(std::integral_constant<Metric, Metric::Euclidean>{});
    case Metric::Cityblock: return f(std::integral_constant<Metric, Metric::Cityblock>{});
    case Metric::Minkowski: return f(std::integral_constant<Metric, Metric::Minkowski>{});
    case Metric::Chebyshev: return f(std::integral_constant<Metric, Metric::Chebyshev>{});
    case Metric::Cosine: return f(std::integral_constant<Metric, Metric::Cosine>{});
  }
  return Status::BadArgument;
}

}  // namespace

template <typename T>
Status lossAndGrad(const Problem<T>& pb, double* loss, const Grads<T>& g, CancelFlag cancel, int threads) {
  if (pb.kind == Kind::Entropic)
    return byMetric<T, Kind::Entropic>(pb.metric, [&](auto mt) {
      return lossImpl<T, Kind::Entropic, decltype(mt)::value>(pb, loss, g, cancel, threads);
    });
  return byMetric<T, Kind::Quadratic>(pb.metric, [&](auto mt) {
    return lossImpl<T, Kind::Quadratic, decltype(mt)::value>(pb, loss, g, cancel, threads);
  });
}

template <typename T>
Status plan(const Problem<T>& pb, T* G, CancelFlag cancel, int threads) {
  if (pb.kind == Kind::Entropic)
    return byMetric<T, Kind::Entropic>(pb.metric, [&](auto mt) {
      return planImpl<T, Kind::Entropic, decltype(mt)::value>(pb, G, cancel, threads);
    });
  return byMetric<T, Kind::Quadratic>(pb.metric, [&](auto mt) {
    return planImpl<T, Kind::Quadratic, decltype(mt)::value>(pb, G, cancel, threads);
  });
}

template Status lossAndGrad<float>(const Problem<float>&, double*, const Grads<float>&, CancelFlag, int);
template Status lossAndGrad<double>(const Problem<double>&, double*, const Grads<double>&, CancelFlag, int);
template Status plan<float>(const Problem<float>&, float*, CancelFlag, int);
template Status plan<double>(const Problem<double>&, double*, CancelFlag, int);

}  // namespace ot::dual
