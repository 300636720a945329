// Standalone tests of the exact-OT kernels (network simplex, 1-D, sliced, the GPU walk's chunks) without
// N-API: the POT reference fixtures (flattened by fixtures_to_txt.py) plus property checks. Run by run.sh.
#include <cstdio>
#include <string>

#include "check.h"
#include "emd_tests.h"
#include "oned_tests.h"
#include "sliced_tests.h"
#include "walk_chunk_tests.h"

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/tmp";
  emdtest::run(dir + "/exact.txt");
  onedtest::run(dir + "/exact.txt");
  slicedtest::run(dir + "/sliced.txt");
  walkchunktest::run();
  std::printf("%d checks passed, %d failed\n", check::passes(), check::failures());
  return check::failures() == 0 ? 0 : 1;
}
