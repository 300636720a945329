// Timings of the exact-OT kernels on the inputs pot_exact.py wrote (same problems as POT's side):
// emdSolve n = 1000 / 3000 / 10000, emdBatch 1024 x 32x32, wasserstein1d 1e6 (value + gradients),
// sliced 5000 x 20 x 200 (value + gradient). Prints one JSON line per workload.
// Usage: exact_kernels_bench DIR RUNS workload...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "cpu/emd.h"
#include "cpu/sliced.h"
#include "cpu/wasserstein1d.h"

namespace {

std::vector<double> readBin(const std::string& dir, const std::string& name, size_t count) {
  std::vector<double> v(count);
  std::ifstream in(dir + "/" + name + ".bin", std::ios::binary);
  in.read(reinterpret_cast<char*>(v.data()), std::streamsize(count * sizeof(double)));
  if (!in) {
    std::fprintf(stderr, "cannot read %s/%s.bin\n", dir.c_str(), name.c_str());
    std::exit(2);
  }
  return v;
}

// Squared Euclidean cost between the rows of x [n, d] and y [m, d].
void sqeuclidean(const double* x, const double* y, size_t n, size_t m, size_t d, double* M) {
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < m; ++j) {
      double s = 0;
      for (size_t e = 0; e < d; ++e) s += (x[i * d + e] - y[j * d + e]) * (x[i * d + e] - y[j * d + e]);
      M[i * m + j] = s;
    }
}

// The first (cold) run, then the median of `runs` more.
template <class F>
void timed(const char* name, int runs, F f) {
  std::vector<double> times;
  double value = 0;
  for (int r = 0; r <= runs; ++r) {
    auto t = std::chrono::steady_clock::now();
    value = f();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
  }
  std::vector<double> warm(times.begin() + 1, times.end());
  std::sort(warm.begin(), warm.end());
  const double median = warm.empty() ? times[0] : warm.size() % 2 ? warm[warm.size() / 2]
                                                   : 0.5 * (warm[warm.size() / 2 - 1] + warm[warm.size() / 2]);
  std::printf("{\"workload\": \"%s\", \"cold_ms\": %.3f, \"median_ms\": %.3f, \"value\": %.17g}\n", name, times[0],
              median, value);
  std::fflush(stdout);
}

void benchEmd(const std::string& dir, const std::string& w, int runs) {
  const size_t n = std::stoul(w.substr(3));
  auto x = readBin(dir, w + "_x", n * 2), y = readBin(dir, w + "_y", n * 2);
  std::vector<double> M(n * n), plan(n * n), a(n, 1.0 / n), u(n), v(n);
  sqeuclidean(x.data(), y.data(), n, n, 2, M.data());
  ot::cpu::EmdProblem<double> p;
  p.M = M.data();
  p.a = a.data();
  p.b = a.data();
  p.n = p.m = n;
  p.maxIter = 10000000;
  timed(w.c_str(), n > 3000 ? 0 : runs, [&] {
    ot::cpu::EmdResult<double> r;
    r.plan = plan.data();
    r.u = u.data();
    r.v = v.data();
    if (ot::cpu::emdSolve(p, r) != ot::Status::Ok) std::fprintf(stderr, "%s: status %d\n", w.c_str(), int(r.status));
    return r.value;
  });
}

void benchBatch(const std::string& dir, int runs) {
  const size_t B = 1024, n = 32;
  auto X = readBin(dir, "batch_x", B * n * 2), Y = readBin(dir, "batch_y", B * n * 2);
  std::vector<double> M(B * n * n), plan(B * n * n), a(B * n, 1.0 / n), u(B * n), v(B * n), value(B);
  std::vector<long> it(B);
  std::vector<ot::Status> st(B);
  for (size_t k = 0; k < B; ++k) sqeuclidean(&X[k * n * 2], &Y[k * n * 2], n, n, 2, &M[k * n * n]);
  ot::cpu::EmdBatchProblem<double> p;
  p.M = M.data();
  p.a = a.data();
  p.b = a.data();
  p.batch = B;
  p.n = p.m = n;
  timed("batch", runs, [&] {
    ot::cpu::EmdBatchResult<double> r{plan.data(), u.data(), v.data(), value.data(), it.data(), st.data()};
    ot::cpu::emdBatch(p, r);
    double s = 0;
    for (double e : value) s += e;
    return s;
  });
}

void benchW1d(const std::string& dir, int runs) {
  const size_t n = 1000000;
  auto u = readBin(dir, "w1d_u", n), v = readBin(dir, "w1d_v", n);
  std::vector<double> gu(n), gv(n);
  ot::cpu::Wasserstein1dProblem<double> p;
  p.u = u.data();
  p.v = v.data();
  p.n = p.m = n;
  p.p = 2;
  timed("w1d", runs, [&] {
    double value = 0;
    ot::cpu::Wasserstein1dResult<double> r;
    r.value = &value;
    r.gradU = gu.data();
    r.gradV = gv.data();
    ot::cpu::wasserstein1d(p, r);
    return value;
  });
}

void benchSliced(const std::string& dir, int runs) {
  const size_t n = 5000, d = 20, k = 200;
  auto xs = readBin(dir, "sliced_xs", n * d), xt = readBin(dir, "sliced_xt", n * d), P = readBin(dir, "sliced_P", d * k);
  std::vector<double> gs(n * d), gt(n * d);
  ot::cpu::SlicedProblem<double> p;
  p.xS = xs.data();
  p.xT = xt.data();
  p.projections = P.data();
  p.n = p.m = n;
  p.d = d;
  p.k = k;
  p.p = 2;
  p.grad = ot::cpu::SlicedGrad::Mean;
  timed("sliced", runs, [&] {
    ot::cpu::SlicedResult<double> r;
    r.gradS = gs.data();
    r.gradT = gt.data();
    ot::cpu::slicedWasserstein(p, r);
    return r.value;
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DIR RUNS workload...\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int runs = std::atoi(argv[2]);
  for (int i = 3; i < argc; ++i) {
    const std::string w = argv[i];
    if (w.rfind("emd", 0) == 0) benchEmd(dir, w, runs);
    else if (w == "batch") benchBatch(dir, runs);
    else if (w == "w1d") benchW1d(dir, runs);
    else if (w == "sliced") benchSliced(dir, runs);
  }
  return 0;
}
