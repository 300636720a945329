// The CPU kernels' entry points as a table of function pointers, one table per instruction set
// compiled into the addon (see dispatch.cc): napi/ calls the plain ot::cpu / ot::dual functions and
// those forward to the table chosen once at load.
#pragma once
#include <cstddef>

#include "common/status.h"
#include "cpu/barycenter.h"
#include "cpu/batch_dist.h"
#include "cpu/batch_sinkhorn.h"
#include "cpu/dist.h"
#include "cpu/dual.h"
#include "cpu/dual_ascent.h"
#include "cpu/emd.h"
#include "cpu/matmul.h"
#include "cpu/mm_unbalanced.h"
#include "cpu/sinkhorn.h"
#include "cpu/lazy_sinkhorn.h"
#include "cpu/sliced.h"
#include "cpu/wasserstein1d.h"

namespace ot::cpu {

template <typename T>
struct Kernels {
  Status (*dist)(const T*, const T*, size_t, size_t, size_t, Metric, double, bool, T*, CancelFlag);
  Status (*distBackward)(const T*, const T*, const T*, const T*, size_t, size_t, size_t, Metric, double, bool, T*, T*,
                         CancelFlag);
  Status (*batchDist)(const T*, const T*, size_t, size_t, size_t, size_t, BatchMetric, double, T*, CancelFlag);
  Status (*batchDistBackward)(const T*, const T*, const T*, const T*, size_t, size_t, size_t, size_t, BatchMetric,
                              double, T*, T*, CancelFlag);
  Status (*batchSinkhorn)(const T*, const T*, const T*, const BatchSinkhornParams&, BatchSinkhornOut<T>&, CancelFlag);
  Status (*batchSinkhornPlans)(const T*, const T*, const T*, const BatchSinkhornParams&, T*, CancelFlag);
  Status (*batchSinkhornBackward)(const T*, const T*, const T*, const BatchSinkhornParams&, const BatchTrace<T>&,
                                  const T*, const T*, const T*, T*, T*, T*, CancelFlag);
  Status (*sinkhornSolve)(const SinkhornProblem<T>&, SinkhornResult<T>&);
  Status (*sinkhornPlan)(const T*, size_t, size_t, const SinkhornPlanState&, T*, CancelFlag);
  Status (*sinkhornBackward)(const SinkhornAdjoint<T>&);
  Status (*dualLossAndGrad)(const dual::Problem<T>&, double*, const dual::Grads<T>&, CancelFlag, int);
  Status (*dualPlan)(const dual::Problem<T>&, T*, CancelFlag, int);
  Status (*dualAscent)(const dual::Ascent<T>&, CancelFlag);
  Status (*emdSolve)(const EmdProblem<T>&, EmdResult<T>&);
  Status (*emdBatch)(const EmdBatchProblem<T>&, EmdBatchResult<T>&);
  Status (*wasserstein1d)(const Wasserstein1dProblem<T>&, Wasserstein1dResult<T>&);
  Status (*emd1d)(const Emd1dProblem<T>&, Emd1dResult<T>&);
  Status (*slicedWasserstein)(const SlicedProblem<T>&, SlicedResult<T>&);
  Status (*mmUnbalanced)(const MmProblem<T>&, MmResult<T>&);
  Status (*matmul)(const MatmulProblem<T>&);
  Status (*barycenterBregman)(const BarycenterProblem<T>&, BarycenterResult<T>&);
  Status (*lazySinkhorn)(const LazySinkhornProblem<T>&, LazySinkhornResult<T>&);
};

struct KernelSet {
  const char* isa;  // "avx512" | "avx2" | "generic"
  Kernels<float> f32;
  Kernels<double> f64;
  bool (*parseBatchMetric)(const char*, BatchMetric*);
};

// The instruction set whose kernels run in this process ("avx512" | "avx2" | "generic"), chosen at
// first use from the CPU's features and OT_ISA (which may only lower it).
const char* activeIsa();

}  // namespace ot::cpu

// Each per-ISA object defines exactly one global symbol, this filler (suffix = the ISA name).
#define OT_ISA_FILLER_CAT2(a, b) a##b
#define OT_ISA_FILLER_CAT(a, b) OT_ISA_FILLER_CAT2(a, b)
#define OT_ISA_FILLER(isa) OT_ISA_FILLER_CAT(ot_cpu_fill_kernels_, isa)
