// IDX files (MNIST's format), plain or gzip-compressed: read_idx on any bytes.
#include <torch/types.h>

#include "fuzz_input.h"
#include "latentkit/data/loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = latentkit::fuzz::as_file(data, size, ".idx");
  latentkit::fuzz::expect_success_or_input_error(path, [&] { latentkit::read_idx(path); });
  return 0;
}
