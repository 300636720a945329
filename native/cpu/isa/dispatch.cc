// Runtime choice of the CPU kernels: the addon carries the kernels compiled for several instruction
// sets (generic x86-64, AVX2+FMA, AVX-512) and this file forwards every entry point of ot::cpu and
// ot::dual to the best variant the CPU runs. OT_ISA=avx2|generic forces a lower one (never a higher
// one: that would crash on illegal instructions).
#include <cstdlib>
#include <cstring>

#include "cpu/isa/kernel_table.h"

extern "C" {
void ot_cpu_fill_kernels_generic(ot::cpu::KernelSet*);
void ot_cpu_fill_kernels_avx2(ot::cpu::KernelSet*);
void ot_cpu_fill_kernels_avx512(ot::cpu::KernelSet*);
}

namespace ot::cpu {
namespace {

enum Level { Generic = 0, Avx2 = 1, Avx512 = 2 };

// What the CPU (and the OS, which must save the wide registers) supports; libgcc / compiler-rt's
// detection checks XGETBV, so AVX-512 on a kernel that does not save zmm state reads as absent.
Level detected() {
  __builtin_cpu_init();
  bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi") &&
            __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("movbe") &&
            __builtin_cpu_supports("popcnt");
  bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
            __builtin_cpu_supports("avx512vl");
  return v4 ? Avx512 : v3 ? Avx2 : Generic;
}

Level requested(Level best) {
  const char* env = std::getenv("OT_ISA");
  if (!env || !*env) return best;
  Level want = !std::strcmp(env, "generic") ? Generic
               : !std::strcmp(env, "avx2") ? Avx2
               : !std::strcmp(env, "avx512") ? Avx512
                                             : best;  // unknown names are rejected by the loader (lib/native.ts)
  return want < best ? want : best;
}

KernelSet load() {
  KernelSet set{};
  switch (requested(detected())) {
    case Avx512: ot_cpu_fill_kernels_avx512(&set); break;
    case Avx2: ot_cpu_fill_kernels_avx2(&set); break;
    default: ot_cpu_fill_kernels_generic(&set); break;
  }
  return set;
}

const KernelSet& active() {
  static const KernelSet set = load();  // thread-safe one-time initialisation
  return set;
}

template <typename T>
const Kernels<T>& table();
template <>
const Kernels<float>& table<float>() { return active().f32; }
template <>
const Kernels<double>& table<double>() { return active().f64; }

}  // namespace

const char* activeIsa() { return active().isa; }

bool parseBatchMetric(const char* name, BatchMetric* out) { return active().parseBatchMetric(name, out); }

template <typename T>
Status dist(const T* x, const T* y, size_t n, size_t m, size_t d, Metric metric, double p, bool same, T* M,
            CancelFlag cancel) {
  return table<T>().dist(x, y, n, m, d, metric, p, same, M, cancel);
}

template <typename T>
Status distBackward(const T* x, const T* y, const T* M, const T* G, size_t n, size_t m, size_t d, Metric metric,
                    double p, bool same, T* gx, T* gy, CancelFlag cancel) {
  return table<T>().distBackward(x, y, M, G, n, m, d, metric, p, same, gx, gy, cancel);
}

template <typename T>
Status batchDist(const T* X, const T* Y, size_t B, size_t n, size_t m, size_t d, BatchMetric metric, double p, T* M,
                 CancelFlag cancel) {
  return table<T>().batchDist(X, Y, B, n, m, d, metric, p, M, cancel);
}

template <typename T>
Status batchDistBackward(const T* X, const T* Y, const T* M, const T* G, size_t B, size_t n, size_t m, size_t d,
                         BatchMetric metric, double p, T* gX, T* gY, CancelFlag cancel) {
  return table<T>().batchDistBackward(X, Y, M, G, B, n, m, d, metric, p, gX, gY, cancel);
}

template <typename T>
Status batchSinkhorn(const T* M, const T* a, const T* b, const BatchSinkhornParams& p, BatchSinkhornOut<T>& out,
                     CancelFlag cancel) {
  return table<T>().batchSinkhorn(M, a, b, p, out, cancel);
}

template <typename T>
Status batchSinkhornPlans(const T* M, const T* pot0, const T* pot1, const BatchSinkhornParams& p, T* plan,
                          CancelFlag cancel) {
  return table<T>().batchSinkhornPlans(M, pot0, pot1, p, plan, cancel);
}
template <typename T>
Status batchSinkhornBackward(const T* M, const T* a, const T* b, const BatchSinkhornParams& p,
                             const BatchTrace<T>& trace, const T* gPlan, const T* gPot0, const T* gPot1, T* gM,
                             T* ga, T* gb, CancelFlag cancel) {
  return table<T>().batchSinkhornBackward(M, a, b, p, trace, gPlan, gPot0, gPot1, gM, ga, gb, cancel);
}

template <typename T>
Status sinkhornSolve(const SinkhornProblem<T>& p, SinkhornResult<T>& out) {
  return table<T>().sinkhornSolve(p, out);
}

template <typename T>
Status sinkhornPlan(const T* M, size_t n, size_t m, const SinkhornPlanState& state, T* plan, CancelFlag cancel) {
  return table<T>().sinkhornPlan(M, n, m, state, plan, cancel);
}

template <typename T>
Status sinkhornBackward(const SinkhornAdjoint<T>& p) {
  return table<T>().sinkhornBackward(p);
}

template <typename T>
Status emdSolve(const EmdProblem<T>& p, EmdResult<T>& out) {
  return table<T>().emdSolve(p, out);
}

template <typename T>
Status emdBatch(const EmdBatchProblem<T>& p, EmdBatchResult<T>& out) {
  return table<T>().emdBatch(p, out);
}

template <typename T>
Status wasserstein1d(const Wasserstein1dProblem<T>& p, Wasserstein1dResult<T>& out) {
  return table<T>().wasserstein1d(p, out);
}

template <typename T>
Status emd1d(const Emd1dProblem<T>& p, Emd1dResult<T>& out) {
  return table<T>().emd1d(p, out);
}

template <typename T>
Status slicedWasserstein(const SlicedProblem<T>& p, SlicedResult<T>& out) {
  return table<T>().slicedWasserstein(p, out);
}

template <typename T>
Status mmUnbalanced(const MmProblem<T>& p, MmResult<T>& out) {
  return table<T>().mmUnbalanced(p, out);
}

template <typename T>
Status barycenterBregman(const BarycenterProblem<T>& p, BarycenterResult<T>& out) {
  return table<T>().barycenterBregman(p, out);
}

template <typename T>
Status lazySinkhorn(const LazySinkhornProblem<T>& p, LazySinkhornResult<T>& out) {
  return table<T>().lazySinkhorn(p, out);
}

template <typename T>
Status matmul(const MatmulProblem<T>& p) {
  return table<T>().matmul(p);
}

#define OT_DISPATCH_INSTANTIATE(T)                                                                                \
  template Status dist<T>(const T*, const T*, size_t, size_t, size_t, Metric, double, bool, T*, CancelFlag);       \
  template Status distBackward<T>(const T*, const T*, const T*, const T*, size_t, size_t, size_t, Metric, double,  \
                                  bool, T*, T*, CancelFlag);                                                       \
  template Status batchDist<T>(const T*, const T*, size_t, size_t, size_t, size_t, BatchMetric, double, T*,        \
                               CancelFlag);                                                                        \
  template Status batchDistBackward<T>(const T*, const T*, const T*, const T*, size_t, size_t, size_t, size_t,     \
                                       BatchMetric, double, T*, T*, CancelFlag);                                   \
  template Status batchSinkhorn<T>(const T*, const T*, const T*, const BatchSinkhornParams&, BatchSinkhornOut<T>&, \
                                   CancelFlag);                                                                    \
  template Status batchSinkhornPlans<T>(const T*, const T*, const T*, const BatchSinkhornParams&, T*, CancelFlag);   \
  template Status batchSinkhornBackward<T>(const T*, const T*, const T*, const BatchSinkhornParams&,               \
                                           const BatchTrace<T>&, const T*, const T*, const T*, T*, T*, T*,         \
                                           CancelFlag);                                                            \
  template Status sinkhornSolve<T>(const SinkhornProblem<T>&, SinkhornResult<T>&);                                 \
  template Status sinkhornPlan<T>(const T*, size_t, size_t, const SinkhornPlanState&, T*, CancelFlag);             \
  template Status sinkhornBackward<T>(const SinkhornAdjoint<T>&);                                                 \
  template Status emdSolve<T>(const EmdProblem<T>&, EmdResult<T>&);                                                 \
  template Status emdBatch<T>(const EmdBatchProblem<T>&, EmdBatchResult<T>&);                                       \
  template Status wasserstein1d<T>(const Wasserstein1dProblem<T>&, Wasserstein1dResult<T>&);                         \
  template Status emd1d<T>(const Emd1dProblem<T>&, Emd1dResult<T>&);                                                 \
  template Status slicedWasserstein<T>(const SlicedProblem<T>&, SlicedResult<T>&);                                   \
  template Status mmUnbalanced<T>(const MmProblem<T>&, MmResult<T>&);                                             \
  template Status matmul<T>(const MatmulProblem<T>&);                                               \
  template Status barycenterBregman<T>(const BarycenterProblem<T>&, BarycenterResult<T>&);                         \
  template Status lazySinkhorn<T>(const LazySinkhornProblem<T>&, LazySinkhornResult<T>&);
OT_DISPATCH_INSTANTIATE(float)
OT_DISPATCH_INSTANTIATE(double)
#undef OT_DISPATCH_INSTANTIATE

}  // namespace ot::cpu

namespace ot::dual {

template <typename T>
Status lossAndGrad(const Problem<T>& pb, double* loss, const Grads<T>& g, CancelFlag cancel, int threads) {
  return cpu::table<T>().dualLossAndGrad(pb, loss, g, cancel, threads);
}

template <typename T>
Status plan(const Problem<T>& pb, T* G, CancelFlag cancel, int threads) {
  return cpu::table<T>().dualPlan(pb, G, cancel, threads);
}

template <typename T>
Status ascend(const Ascent<T>& a, CancelFlag cancel) {
  return cpu::table<T>().dualAscent(a, cancel);
}

template Status lossAndGrad<float>(const Problem<float>&, double*, const Grads<float>&, CancelFlag, int);
template Status lossAndGrad<double>(const Problem<double>&, double*, const Grads<double>&, CancelFlag, int);
template Status plan<float>(const Problem<float>&, float*, CancelFlag, int);
template Status plan<double>(const Problem<double>&, double*, CancelFlag, int);
template Status ascend<float>(const Ascent<float>&, CancelFlag);
template Status ascend<double>(const Ascent<double>&, CancelFlag);

}  // namespace ot::dual
