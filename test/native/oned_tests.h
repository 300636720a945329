// Tests of the 1-D kernels: exact.json's emd_1d and wasserstein_1d cases (float64, float32), then
// properties: columns = separate problems, gradient vs finite differences, emd1d = network simplex
// on the |x - y|^p cost, marginals of the 1-D plan.
#pragma once
#include <string>
#include <vector>

#include "check.h"
#include "cpu/emd.h"
#include "cpu/quantile_walk.h"
#include "cpu/wasserstein1d.h"
#include "emd_tests.h"
#include "fixture_reader.h"

namespace onedtest {

using ot::Status;

template <typename T>
double w1d(const std::vector<double>& u, const std::vector<double>& v, const std::vector<double>* uw,
           const std::vector<double>* vw, double p, size_t k = 1, std::vector<T>* gu = nullptr,
           std::vector<T>* gv = nullptr, std::vector<double>* values = nullptr) {
  std::vector<T> ut(u.begin(), u.end()), vt(v.begin(), v.end()), uwt, vwt;
  if (uw) uwt.assign(uw->begin(), uw->end());
  if (vw) vwt.assign(vw->begin(), vw->end());
  ot::cpu::Wasserstein1dProblem<T> p1;
  p1.u = ut.data();
  p1.v = vt.data();
  p1.uWeights = uw ? uwt.data() : nullptr;
  p1.vWeights = vw ? vwt.data() : nullptr;
  p1.n = u.size() / k;
  p1.m = v.size() / k;
  p1.k = k;
  p1.p = p;
  std::vector<double> val(k);
  ot::cpu::Wasserstein1dResult<T> r;
  r.value = val.data();
  if (gu) gu->assign(u.size(), T(0)), r.gradU = gu->data();
  if (gv) gv->assign(v.size(), T(0)), r.gradV = gv->data();
  check::that(ot::cpu::wasserstein1d(p1, r) == Status::Ok, "wasserstein1d status");
  if (values) *values = val;
  return val[0];
}

template <typename T>
void fixtureCases(const std::vector<fixture::Case>& cases, double tol, const char* tname) {
  for (const auto& c : cases) {
    const std::string kind = c.str("kind");
    if (kind == "wasserstein_1d") {
      const auto &u = c.vec("u_values"), &v = c.vec("v_values");
      const auto &uw = c.vec("u_weights"), &vw = c.vec("v_weights");
      const std::string name = "wasserstein1d " + std::to_string(u.size()) + "x" + std::to_string(v.size()) +
                               " p=" + std::to_string(int(c.num("p"))) + " #" + std::to_string(c.index) + " " + tname;
      check::close(w1d<T>(u, v, &uw, &vw, c.num("p")), c.num("value"), tol, 1e-10, name + ": value");
    } else if (kind == "emd_1d") {
      const auto &xa = c.vec("x_a"), &xb = c.vec("x_b"), &a = c.vec("a"), &b = c.vec("b");
      const size_t n = xa.size(), m = xb.size();
      const std::string name = "emd1d " + std::to_string(n) + "x" + std::to_string(m) + " " + c.str("metric") +
                               " #" + std::to_string(c.index) + " " + tname;
      std::vector<T> xat(xa.begin(), xa.end()), xbt(xb.begin(), xb.end()), at(a.begin(), a.end()),
          bt(b.begin(), b.end()), plan(n * m);
      ot::cpu::Emd1dProblem<T> p;
      p.xA = xat.data();
      p.xB = xbt.data();
      p.a = at.data();
      p.b = bt.data();
      p.n = n;
      p.m = m;
      p.p = c.str("metric") == "sqeuclidean" ? 2 : 1;
      ot::cpu::Emd1dResult<T> r;
      r.plan = plan.data();
      check::that(ot::cpu::emd1d(p, r) == Status::Ok, name + ": status");
      check::close(r.value, c.num("value"), tol, 1e-10, name + ": value");
      const auto& P = c.vec("plan");
      bool ok = true;
      for (size_t k = 0; k < P.size(); ++k) ok &= std::fabs(double(plan[k]) - P[k]) <= tol * std::fabs(P[k]) + 1e-10;
      check::that(ok, name + ": plan entry-wise");
      // The pieces: at most n + m - 1 (a rounding surplus of b's rescaled total is not a piece).
      std::vector<size_t> rows(n + m), cols(n + m);
      std::vector<double> mass(n + m);
      ot::cpu::Emd1dResult<T> pr;
      pr.rows = rows.data();
      pr.cols = cols.data();
      pr.mass = mass.data();
      check::that(ot::cpu::emd1d(p, pr) == Status::Ok, name + ": status (pieces)");
      check::that(pr.count <= n + m - 1, name + ": at most n + m - 1 pieces");
      std::vector<double> dense(n * m, 0.0);
      for (size_t k = 0; k < pr.count; ++k) dense[rows[k] * m + cols[k]] += mass[k];
      ok = true;
      for (size_t k = 0; k < P.size(); ++k) ok &= std::fabs(dense[k] - P[k]) <= tol * std::fabs(P[k]) + 1e-10;
      check::that(ok, name + ": pieces = plan");
    }
  }
}

inline void properties() {
  emdtest::Rng r(23);
  for (double p : {1.0, 1.5, 2.0, 3.0}) {
    const size_t n = 40, m = 27, k = 3;
    std::vector<double> u(n * k), v(m * k), uw(n), vw(m);
    for (auto& e : u) e = r.uniform() * 4 - 2;
    for (auto& e : v) e = r.uniform() * 3;
    double su = 0, sv = 0;
    for (auto& e : uw) e = 0.2 + r.uniform();
    uw[5] = 0;  // a zero weight: its atom gets no mass and no gradient
    for (auto& e : uw) su += e;
    for (auto& e : vw) sv += e = 0.2 + r.uniform();
    for (auto& e : uw) e /= su;
    for (auto& e : vw) e /= sv;
    const std::string name = "wasserstein1d property p=" + std::to_string(p);
    // Columns with shared weights = separate problems; gradient vs central differences.
    std::vector<double> gu, gv, vals;
    std::vector<double> uwk(n * k), vwk(m * k);
    for (size_t i = 0; i < n; ++i)
      for (size_t c = 0; c < k; ++c) uwk[i * k + c] = uw[i];
    for (size_t j = 0; j < m; ++j)
      for (size_t c = 0; c < k; ++c) vwk[j * k + c] = vw[j];
    w1d<double>(u, v, &uwk, &vwk, p, k, &gu, &gv, &vals);
    bool gradOk = true;
    for (size_t c = 0; c < k; ++c) {
      std::vector<double> uc(n), vc(m);
      for (size_t i = 0; i < n; ++i) uc[i] = u[i * k + c];
      for (size_t j = 0; j < m; ++j) vc[j] = v[j * k + c];
      check::close(vals[c], w1d<double>(uc, vc, &uw, &vw, p), 1e-12, 1e-15, name + ": column = own problem");
      check::close(vals[c], w1d<double>(vc, uc, &vw, &uw, p), 1e-12, 1e-15, name + ": symmetric");
      const double h = 1e-6;
      for (size_t i = 0; i < n; i += 7) {
        auto up = uc, um = uc;
        up[i] += h;
        um[i] -= h;
        const double fd = (w1d<double>(up, vc, &uw, &vw, p) - w1d<double>(um, vc, &uw, &vw, p)) / (2 * h);
        gradOk &= std::fabs(fd - gu[i * k + c]) <= 1e-6 * (1 + std::fabs(fd));
      }
      for (size_t j = 0; j < m; j += 5) {
        auto vp = vc, vm = vc;
        vp[j] += h;
        vm[j] -= h;
        const double fd = (w1d<double>(uc, vp, &uw, &vw, p) - w1d<double>(uc, vm, &uw, &vw, p)) / (2 * h);
        gradOk &= std::fabs(fd - gv[j * k + c]) <= 1e-6 * (1 + std::fabs(fd));
      }
      gradOk &= gu[5 * k + c] == 0;
      // emd1d = the network simplex on the cost |x - y|^p; its plan has the marginals.
      std::vector<double> M(n * m);
      for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < m; ++j) M[i * m + j] = ot::cpu::oned::powAbs(uc[i] - vc[j], p);
      auto ex = emdtest::solve<double>(M, uw, vw);
      ot::cpu::Emd1dProblem<double> ep;
      ep.xA = uc.data();
      ep.xB = vc.data();
      ep.a = uw.data();
      ep.b = vw.data();
      ep.n = n;
      ep.m = m;
      ep.p = p;
      std::vector<double> plan(n * m);
      ot::cpu::Emd1dResult<double> er;
      er.plan = plan.data();
      ot::cpu::emd1d(ep, er);
      check::close(er.value, ex.res.value, 1e-10, 1e-14, name + ": emd1d value = network simplex value");
      check::close(er.value, vals[c], 1e-12, 1e-15, name + ": emd1d value = wasserstein1d value");
      double marg = 0;
      for (size_t i = 0; i < n; ++i) {
        double s = 0;
        for (size_t j = 0; j < m; ++j) s += plan[i * m + j];
        marg = std::fmax(marg, std::fabs(s - uw[i]));
      }
      check::close(marg, 0, 0, 1e-12, name + ": emd1d plan rows sum to a");
    }
    check::that(gradOk, name + ": gradients = central differences");
    // float32 agrees with float64; uniform weights by null pointers.
    std::vector<double> uc(u.begin(), u.begin() + n), vc(v.begin(), v.begin() + m);
    std::vector<double> un(n, 1.0 / n), vn(m, 1.0 / m);
    check::close(w1d<float>(uc, vc, nullptr, nullptr, p), w1d<double>(uc, vc, &un, &vn, p), 1e-4, 1e-8,
                 name + ": f32 = f64, null weights = uniform");
  }
  // One large column (the two sorts run in parallel): same value as the walk on a tiny shift-check.
  {
    const size_t n = 300000;
    std::vector<double> u(n), v(n);
    for (auto& e : u) e = r.uniform();
    for (size_t i = 0; i < n; ++i) v[i] = u[(i * 7919) % n] + 0.25;  // a permuted copy shifted by 0.25
    check::close(w1d<double>(u, v, nullptr, nullptr, 2), 0.0625, 1e-9, 0, "wasserstein1d 3e5 shifted copy: W2^2 = 0.25^2");
  }
}

inline void run(const std::string& fixtureTxt) {
  auto cases = fixture::load(fixtureTxt);
  fixtureCases<double>(cases, 1e-7, "f64");
  fixtureCases<float>(cases, 1e-4, "f32");
  properties();
}

}  // namespace onedtest
