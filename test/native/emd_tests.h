// Tests of emdSolve / emdBatch: every exact.json `solve` case (float64 and float32) and properties of
// random, degenerate, zero-weight and odd-shaped problems (an optimality certificate each time:
// feasible plan + feasible duals + equal objectives).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "check.h"
#include "cpu/emd.h"
#include "fixture_reader.h"

namespace emdtest {

using ot::Status;

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 2654435761u + 1) {}
  double uniform() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return double(s >> 11) * (1.0 / 9007199254740992.0);
  }
};

template <typename T>
struct Solved {
  std::vector<T> plan;
  std::vector<double> u, v;
  ot::cpu::EmdResult<T> res;
  Status st;
};

template <typename T>
Solved<T> solve(const std::vector<double>& M, const std::vector<double>& a, const std::vector<double>& b,
                long maxIter = 100000) {
  const size_t n = a.size(), m = b.size();
  std::vector<T> Mt(M.begin(), M.end());
  Solved<T> s;
  s.plan.assign(n * m, T(-7));
  s.u.assign(n, -7);
  s.v.assign(m, -7);
  ot::cpu::EmdProblem<T> p;
  p.M = Mt.data();
  p.a = a.data();
  p.b = b.data();
  p.n = n;
  p.m = m;
  p.maxIter = maxIter;
  s.res.plan = s.plan.data();
  s.res.u = s.u.data();
  s.res.v = s.v.data();
  s.st = ot::cpu::emdSolve(p, s.res);
  return s;
}

// Primal feasibility, sparsity, value = <M, plan> = a.u + b.v, dual feasibility and slackness.
template <typename T>
void certify(const Solved<T>& s, const std::vector<double>& M, const std::vector<double>& a,
             const std::vector<double>& b, double tol, const std::string& name) {
  const size_t n = a.size(), m = b.size();
  double mass = 0, scale = 0, lin = 0, au = 0, bv = 0;
  for (double x : a) mass += x;
  for (size_t k = 0; k < n * m; ++k) scale = std::fmax(scale, std::fabs(double(T(M[k]))));
  scale = std::fmax(scale, 1e-300);
  size_t nnz = 0;
  bool nonneg = true, feasible = true, slack = true;
  std::vector<double> rs(n, 0), cs(m, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < m; ++j) {
      const double p = s.plan[i * m + j], c = double(T(M[i * m + j]));
      nonneg &= p >= 0;
      nnz += p != 0;
      rs[i] += p;
      cs[j] += p;
      lin += p * c;
      const double gap = c - s.u[i] - s.v[j];
      feasible &= gap >= -tol * scale;
      if (p > tol * mass) slack &= std::fabs(gap) <= tol * scale;
    }
  for (size_t i = 0; i < n; ++i) au += a[i] * s.u[i];
  for (size_t j = 0; j < m; ++j) bv += b[j] * s.v[j];
  double marg = 0;
  for (size_t i = 0; i < n; ++i) marg = std::fmax(marg, std::fabs(rs[i] - a[i]));
  for (size_t j = 0; j < m; ++j) marg = std::fmax(marg, std::fabs(cs[j] - b[j]));
  check::that(s.st == Status::Ok, name + ": status converged");
  check::that(nonneg, name + ": plan >= 0");
  check::that(nnz <= n + m - 1, name + ": at most n+m-1 nonzeros");
  check::close(marg, 0, 0, tol * mass, name + ": marginals");
  check::close(s.res.value, lin, tol, 1e-300, name + ": value = <M, plan>", scale * mass);
  check::close(au + bv, s.res.value, tol, 1e-300, name + ": a.u + b.v = value", scale * mass);
  check::that(feasible, name + ": duals feasible (u_i + v_j <= M_ij)");
  check::that(slack, name + ": complementary slackness on the support");
}

template <typename T>
void fixtureCase(const fixture::Case& c, double tol, const char* tname) {
  const auto& Ma = c.at("M");
  const size_t n = Ma.shape[0], m = Ma.shape[1];
  const std::string name = std::string("emd ") + c.str("kind") + " " + std::to_string(n) + "x" + std::to_string(m) +
                           " " + c.str("metric") + " #" + std::to_string(c.index) + " " + tname;
  auto s = solve<T>(Ma.values, c.vec("a"), c.vec("b"));
  check::close(s.res.value, c.num("value"), tol, 1e-10, name + ": value");
  certify(s, Ma.values, c.vec("a"), c.vec("b"), tol, name);
  if (c.str("kind") != "solve") return;  // solve_ties: many optimal plans, value and marginals only
  const auto& P = c.vec("plan");
  double pmax = 0, err = 0;
  for (double x : P) pmax = std::fmax(pmax, x);
  bool ok = true;
  for (size_t k = 0; k < P.size(); ++k) {
    const double d = std::fabs(double(s.plan[k]) - P[k]);
    err = std::fmax(err, d);
    ok &= d <= tol * std::fmax(std::fabs(P[k]), sizeof(T) == 4 ? pmax : 0) + 1e-10;
  }
  if (!ok) std::printf("  max plan error %.3g\n", err);
  check::that(ok, name + ": plan entry-wise");
  check::that(c.str("status") == "Converged" && s.st == Status::Ok, name + ": status");
  // POT's gradients of the value: dM = plan, da/db = centred duals (checked above as duals).
  if (c.has("grad_value.M")) {
    const auto& G = c.vec("grad_value.M");
    bool same = true;
    for (size_t k = 0; k < G.size(); ++k) same &= std::fabs(G[k] - P[k]) <= 1e-12;
    check::that(same, name + ": fixture dM = plan");
  }
}

inline std::vector<double> randomCost(size_t n, size_t m, Rng& r, int kind) {
  std::vector<double> M(n * m);
  std::vector<double> x(2 * n), y(2 * m);
  for (auto& e : x) e = r.uniform();
  for (auto& e : y) e = r.uniform();
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < m; ++j) {
      const double dx = x[2 * i] - y[2 * j], dy = x[2 * i + 1] - y[2 * j + 1];
      M[i * m + j] = kind == 0 ? dx * dx + dy * dy          // squared Euclidean
                     : kind == 1 ? double(int(r.uniform() * 4))  // integer costs: many ties
                     : kind == 2 ? 1.0                           // constant: every plan optimal
                                 : std::sqrt(dx * dx + dy * dy);
    }
  return M;
}

inline std::vector<double> weights(size_t n, Rng& r, bool uniform, double mass, int zeros) {
  std::vector<double> w(n);
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += w[i] = uniform ? 1.0 : 0.1 + r.uniform();
  for (int z = 0; z < zeros && size_t(z) < n - 1; ++z) s -= w[(z * 7 + 1) % n], w[(z * 7 + 1) % n] = 0;
  for (auto& e : w) e *= mass / s;
  return w;
}

inline void properties() {
  Rng r(7);
  struct Shape {
    size_t n, m;
    int kind;
    bool uniform;
    double mass;
    int zeros;
  };
  const Shape shapes[] = {{1, 1, 0, true, 1, 0},     {1, 6, 0, false, 1, 0},    {6, 1, 3, false, 2.5, 0},
                          {7, 3, 0, false, 1, 0},    {3, 9, 1, true, 1, 0},     {12, 12, 1, true, 1, 0},
                          {10, 10, 2, true, 1, 0},   {40, 25, 0, false, 3.7, 0}, {25, 40, 3, false, 1, 0},
                          {30, 30, 0, false, 1, 4},  {64, 64, 1, true, 1, 3},   {200, 200, 0, true, 1, 0},
                          {150, 220, 1, false, 1, 0}, {300, 300, 3, true, 1, 9}};
  for (const auto& sh : shapes) {
    auto M = randomCost(sh.n, sh.m, r, sh.kind);
    auto a = weights(sh.n, r, sh.uniform, sh.mass, sh.zeros);
    auto b = weights(sh.m, r, sh.uniform, sh.mass, sh.zeros / 2);
    const std::string name = "emd property " + std::to_string(sh.n) + "x" + std::to_string(sh.m) + " kind" +
                             std::to_string(sh.kind) + (sh.zeros ? " zero-weights" : "");
    auto s64 = solve<double>(M, a, b);
    certify(s64, M, a, b, 1e-9, name + " f64");
    auto s32 = solve<float>(M, a, b);
    certify(s32, M, a, b, 1e-5, name + " f32");
    check::close(s32.res.value, s64.res.value, 1e-4, 1e-12, name + ": f32 value = f64 value");
  }
  // Errors and limits.
  {
    auto M = randomCost(20, 20, r, 0);
    auto a = weights(20, r, false, 1, 0), b = weights(20, r, false, 1, 0);
    auto few = solve<double>(M, a, b, 3);
    check::that(few.st == Status::MaxIter && few.res.nIter == 3, "emd maxIter=3: MaxIter after 2 pivots");
    auto b2 = b;
    b2[0] += 0.01;
    check::that(solve<double>(M, a, b2).st == Status::Infeasible, "emd unequal masses: Infeasible");
    auto a2 = a;
    a2[1] = -a2[1];
    check::that(solve<double>(M, a2, b).st == Status::Infeasible, "emd negative weight: Infeasible");
    auto Mn = M;
    Mn[5] = NAN;
    check::that(solve<double>(Mn, a, b).st == Status::BadArgument, "emd non-finite cost: BadArgument");
    {
      std::vector<double> Mc = randomCost(300, 300, r, 0), w = weights(300, r, true, 1, 0), plan(300 * 300), u(300),
                          v(300);
      volatile int raised = 1;
      ot::cpu::EmdProblem<double> p;
      p.M = Mc.data();
      p.a = p.b = w.data();
      p.n = p.m = 300;
      p.cancel.flag = &raised;
      ot::cpu::EmdResult<double> res{plan.data(), u.data(), v.data()};
      check::that(ot::cpu::emdSolve(p, res) == Status::Aborted, "emd with the cancel flag raised: Aborted");
    }
    {
      // Without a plan buffer: the same value and duals, bitwise (emd2 when M needs no gradient).
      auto full = solve<double>(M, a, b);
      std::vector<double> u(20), v(20);
      ot::cpu::EmdProblem<double> p;
      p.M = M.data();
      p.a = a.data();
      p.b = b.data();
      p.n = p.m = 20;
      ot::cpu::EmdResult<double> res{nullptr, u.data(), v.data()};
      const Status st = ot::cpu::emdSolve(p, res);
      check::that(st == Status::Ok && res.value == full.res.value && u == full.u && v == full.v && res.nIter == full.res.nIter,
                  "emd without a plan buffer: same value, duals and pivots");
    }
    std::vector<double> z(20, 0.0);
    auto zz = solve<double>(M, z, z);
    bool finite = true;
    for (double x : zz.u) finite &= std::isfinite(x);
    check::that(zz.st == Status::Ok && zz.res.value == 0 && finite, "emd all-zero weights: empty plan, value 0, finite duals");
  }
}

template <typename T>
void batchMatchesSingle() {
  Rng r(11);
  const size_t B = 37, n = 16, m = 12;
  std::vector<double> M, a, b;
  for (size_t k = 0; k < B; ++k) {
    auto Mk = randomCost(n, m, r, k % 2);
    auto ak = weights(n, r, k % 3 == 0, 1, k % 5 == 0 ? 2 : 0), bk = weights(m, r, false, 1, 0);
    M.insert(M.end(), Mk.begin(), Mk.end());
    a.insert(a.end(), ak.begin(), ak.end());
    b.insert(b.end(), bk.begin(), bk.end());
  }
  std::vector<T> Mt(M.begin(), M.end()), plan(B * n * m);
  std::vector<double> u(B * n), v(B * m), value(B);
  std::vector<long> it(B);
  std::vector<Status> st(B);
  ot::cpu::EmdBatchProblem<T> p;
  p.M = Mt.data();
  p.a = a.data();
  p.b = b.data();
  p.batch = B;
  p.n = n;
  p.m = m;
  p.threads = 3;
  ot::cpu::EmdBatchResult<T> out{plan.data(), u.data(), v.data(), value.data(), it.data(), st.data()};
  check::that(ot::cpu::emdBatch(p, out) == Status::Ok, "emdBatch: Ok");
  bool same = true;
  for (size_t k = 0; k < B; ++k) {
    std::vector<double> Mk(M.begin() + k * n * m, M.begin() + (k + 1) * n * m);
    std::vector<double> ak(a.begin() + k * n, a.begin() + (k + 1) * n), bk(b.begin() + k * m, b.begin() + (k + 1) * m);
    auto s = solve<T>(Mk, ak, bk);
    same &= st[k] == s.st && value[k] == s.res.value;
    for (size_t e = 0; e < n * m; ++e) same &= plan[k * n * m + e] == s.plan[e];
    for (size_t i = 0; i < n; ++i) same &= u[k * n + i] == s.u[i];
  }
  check::that(same, std::string("emdBatch = emdSolve per problem, bitwise (") + (sizeof(T) == 4 ? "f32)" : "f64)"));
  // The supports instead of the dense plans: the same nonzeros (in M's precision), <= n + m - 1 each.
  const size_t slots = n + m - 1;
  std::vector<int32_t> supIdx(B * slots);
  std::vector<double> supMass(B * slots), value2(B);
  ot::cpu::EmdBatchResult<T> sparse{nullptr, u.data(), v.data(), value2.data(), it.data(), st.data(), supIdx.data(), supMass.data()};
  check::that(ot::cpu::emdBatch(p, sparse) == Status::Ok, "emdBatch with supports: Ok");
  bool sameSupport = value2 == value;
  for (size_t k = 0; k < B; ++k) {
    std::vector<T> rebuilt(n * m, T(0));
    for (size_t t = k * slots; t < (k + 1) * slots; ++t)
      if (supIdx[t] >= 0) rebuilt[static_cast<size_t>(supIdx[t])] = static_cast<T>(supMass[t]);
    for (size_t e = 0; e < n * m; ++e) sameSupport &= rebuilt[e] == plan[k * n * m + e];
  }
  check::that(sameSupport, std::string("emdBatch supports rebuild the dense plans exactly (") + (sizeof(T) == 4 ? "f32)" : "f64)"));
  volatile int raised = 1;
  p.cancel.flag = &raised;
  check::that(ot::cpu::emdBatch(p, out) == Status::Aborted, "emdBatch with the cancel flag raised: Aborted");
}

inline void run(const std::string& fixtureTxt) {
  auto cases = fixture::load(fixtureTxt);
  int count = 0;
  for (const auto& c : cases) {
    const std::string kind = c.str("kind");
    if (kind != "solve" && kind != "solve_ties") continue;
    fixtureCase<double>(c, 1e-7, "f64");
    fixtureCase<float>(c, 1e-4, "f32");
    ++count;
  }
  check::that(count == 12, "exact.json: 12 solve / solve_ties cases seen");
  properties();
  batchMatchesSingle<double>();
  batchMatchesSingle<float>();
}

}  // namespace emdtest
