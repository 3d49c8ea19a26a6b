// NumPy .npy arrays: read_npy (2-D tables) and read_npy_array (rank 1 to 4) on any bytes.
#include <torch/types.h>

#include "fuzz_input.h"
#include "latentkit/data/loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = latentkit::fuzz::as_file(data, size, ".npy");
  latentkit::fuzz::expect_success_or_input_error(path, [&] { latentkit::read_npy(path); });
  latentkit::fuzz::expect_success_or_input_error(path, [&] { latentkit::read_npy_array(path); });
  return 0;
}
