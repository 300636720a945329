// Compiled once per instruction set (OT_ISA_NAME = generic | avx2 | avx512, each with its own -march):
// fills the table with this variant's kernels. Every other symbol of the variant is made local after
// a partial link (CMakeLists.txt), so inline and template code of one variant never leaks into another.
#include "cpu/isa/kernel_table.h"

#ifndef OT_ISA_NAME
#error "OT_ISA_NAME must name the instruction set this object is compiled for"
#endif
#define OT_STR2(x) #x
#define OT_STR(x) OT_STR2(x)

namespace {
template <typename T>
void fill(ot::cpu::Kernels<T>& k) {
  using namespace ot;
  k.dist = &cpu::dist<T>;
  k.distBackward = &cpu::distBackward<T>;
  k.batchDist = &cpu::batchDist<T>;
  k.batchDistBackward = &cpu::batchDistBackward<T>;
  k.batchSinkhorn = &cpu::batchSinkhorn<T>;
  k.batchSinkhornBackward = &cpu::batchSinkhornBackward<T>;
  k.batchSinkhornPlans = &cpu::batchSinkhornPlans<T>;
  k.sinkhornSolve = &cpu::sinkhornSolve<T>;
  k.sinkhornPlan = &cpu::sinkhornPlan<T>;
  k.sinkhornBackward = &cpu::sinkhornBackward<T>;
  k.dualLossAndGrad = &dual::lossAndGrad<T>;
  k.dualPlan = &dual::plan<T>;
  k.dualAscent = &dual::ascend<T>;
  k.emdSolve = &cpu::emdSolve<T>;
  k.emdBatch = &cpu::emdBatch<T>;
  k.wasserstein1d = &cpu::wasserstein1d<T>;
  k.emd1d = &cpu::emd1d<T>;
  k.slicedWasserstein = &cpu::slicedWasserstein<T>;
  k.mmUnbalanced = &cpu::mmUnbalanced<T>;
  k.matmul = &cpu::matmul<T>;
  k.barycenterBregman = &cpu::barycenterBregman<T>;
  k.lazySinkhorn = &cpu::lazySinkhorn<T>;
}
}  // namespace

extern "C" void OT_ISA_FILLER(OT_ISA_NAME)(ot::cpu::KernelSet* out) {
  out->isa = OT_STR(OT_ISA_NAME);
  fill(out->f32);
  fill(out->f64);
  out->parseBatchMetric = &ot::cpu::parseBatchMetric;
}
