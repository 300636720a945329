// Tests of slicedWasserstein: every sliced.json case (value, max value, gradient w.r.t. xS; float64
// and float32), then gradients w.r.t. xT and of the max by central differences, and thread-count
// independence.
#pragma once
#include <string>
#include <vector>

#include "check.h"
#include "cpu/sliced.h"
#include "emd_tests.h"
#include "fixture_reader.h"

namespace slicedtest {

using ot::Status;

template <typename T>
struct Run {
  ot::cpu::SlicedResult<T> r;
  std::vector<T> gS, gT;
  Status st;
};

template <typename T>
Run<T> sliced(const std::vector<double>& xs, const std::vector<double>& xt, const std::vector<double>* a,
              const std::vector<double>* b, const std::vector<double>& P, size_t d, double p, ot::cpu::SlicedGrad g,
              int threads = 0) {
  std::vector<T> xsT(xs.begin(), xs.end()), xtT(xt.begin(), xt.end()), PT(P.begin(), P.end()), aT, bT;
  if (a) aT.assign(a->begin(), a->end());
  if (b) bT.assign(b->begin(), b->end());
  ot::cpu::SlicedProblem<T> pr;
  pr.xS = xsT.data();
  pr.xT = xtT.data();
  pr.a = a ? aT.data() : nullptr;
  pr.b = b ? bT.data() : nullptr;
  pr.projections = PT.data();
  pr.n = xs.size() / d;
  pr.m = xt.size() / d;
  pr.d = d;
  pr.k = P.size() / d;
  pr.p = p;
  pr.grad = g;
  pr.threads = threads;
  Run<T> run;
  run.gS.assign(xs.size(), T(0));
  run.gT.assign(xt.size(), T(0));
  run.r.gradS = run.gS.data();
  run.r.gradT = run.gT.data();
  run.st = ot::cpu::slicedWasserstein(pr, run.r);
  return run;
}

template <typename T>
void fixtureCases(const std::vector<fixture::Case>& cases, double tol, const char* tname) {
  for (const auto& c : cases) {
    const auto& xs = c.at("x_s");
    const size_t n = xs.shape[0], d = xs.shape[1], k = c.at("projections").shape[1];
    const std::string name = "sliced " + std::to_string(n) + "x" + std::to_string(c.at("x_t").shape[0]) + " d=" +
                             std::to_string(d) + " k=" + std::to_string(k) + " p=" + std::to_string(int(c.num("p"))) +
                             " #" + std::to_string(c.index) + " " + tname;
    auto r = sliced<T>(xs.values, c.vec("x_t"), &c.vec("a"), &c.vec("b"), c.vec("projections"), d, c.num("p"),
                       ot::cpu::SlicedGrad::Mean);
    check::that(r.st == Status::Ok, name + ": status");
    check::close(r.r.value, c.num("value"), tol, 1e-10, name + ": value");
    check::close(r.r.maxValue, c.num("max_value"), tol, 1e-10, name + ": max value");
    const auto& G = c.vec("grad_x_s");
    double gmax = 0;
    for (double g : G) gmax = std::fmax(gmax, std::fabs(g));
    bool ok = true;
    for (size_t e = 0; e < G.size(); ++e)
      ok &= std::fabs(double(r.gS[e]) - G[e]) <= tol * std::fmax(std::fabs(G[e]), sizeof(T) == 4 ? gmax : 0) + 1e-10;
    check::that(ok, name + ": gradient w.r.t. xS");
  }
}

inline void properties() {
  emdtest::Rng r(31);
  const size_t n = 30, m = 22, d = 4, k = 9;
  std::vector<double> xs(n * d), xt(m * d), P(d * k), a(n), b(m);
  for (auto& e : xs) e = r.uniform();
  for (auto& e : xt) e = r.uniform() * 1.5;
  for (size_t l = 0; l < k; ++l) {
    double s = 0;
    for (size_t c = 0; c < d; ++c) {
      P[c * k + l] = r.uniform() - 0.5;
      s += P[c * k + l] * P[c * k + l];
    }
    for (size_t c = 0; c < d; ++c) P[c * k + l] /= std::sqrt(s);
  }
  double sa = 0, sb = 0;
  for (auto& e : a) sa += e = 0.5 + r.uniform();
  for (auto& e : b) sb += e = 0.5 + r.uniform();
  for (auto& e : a) e /= sa;
  for (auto& e : b) e /= sb;
  for (double p : {1.0, 2.0, 3.0}) {
    for (auto g : {ot::cpu::SlicedGrad::Mean, ot::cpu::SlicedGrad::Max}) {
      const bool mean = g == ot::cpu::SlicedGrad::Mean;
      const std::string name = std::string("sliced property ") + (mean ? "mean" : "max") + " p=" + std::to_string(int(p));
      auto base = sliced<double>(xs, xt, &a, &b, P, d, p, g);
      auto val = [&](const std::vector<double>& s, const std::vector<double>& t) {
        auto q = sliced<double>(s, t, &a, &b, P, d, p, ot::cpu::SlicedGrad::None);
        return mean ? q.r.value : q.r.maxValue;
      };
      const double h = 1e-6;
      bool ok = true;
      for (size_t e = 0; e < xs.size(); e += 11) {
        auto up = xs, dn = xs;
        up[e] += h;
        dn[e] -= h;
        const double fd = (val(up, xt) - val(dn, xt)) / (2 * h);
        ok &= std::fabs(fd - base.gS[e]) <= 1e-6 * (1 + std::fabs(fd));
      }
      for (size_t e = 0; e < xt.size(); e += 7) {
        auto up = xt, dn = xt;
        up[e] += h;
        dn[e] -= h;
        const double fd = (val(xs, up) - val(xs, dn)) / (2 * h);
        ok &= std::fabs(fd - base.gT[e]) <= 1e-6 * (1 + std::fabs(fd));
      }
      check::that(ok, name + ": gradients w.r.t. xS and xT = central differences");
      auto one = sliced<double>(xs, xt, &a, &b, P, d, p, g, 1);
      bool same = one.r.value == base.r.value && one.r.maxValue == base.r.maxValue;
      for (size_t e = 0; e < xs.size(); ++e) same &= one.gS[e] == base.gS[e];
      check::that(same, name + ": 1 thread = default team, bitwise");
    }
  }
  auto un = sliced<float>(xs, xt, nullptr, nullptr, P, d, 2, ot::cpu::SlicedGrad::None);
  std::vector<double> ua(n, 1.0 / n), ub(m, 1.0 / m);
  auto ex = sliced<double>(xs, xt, &ua, &ub, P, d, 2, ot::cpu::SlicedGrad::None);
  check::close(un.r.value, ex.r.value, 1e-4, 1e-8, "sliced: f32 = f64, null weights = uniform");
}

inline void run(const std::string& fixtureTxt) {
  auto cases = fixture::load(fixtureTxt);
  check::that(cases.size() == 4, "sliced.json: 4 cases seen");
  fixtureCases<double>(cases, 1e-7, "f64");
  fixtureCases<float>(cases, 1e-4, "f32");
  properties();
}

}  // namespace slicedtest
