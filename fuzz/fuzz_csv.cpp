// CSV tables: read_csv with each header mode on any bytes.
#include <torch/types.h>

#include "fuzz_input.h"
#include "latentkit/data/loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = latentkit::fuzz::as_file(data, size, ".csv");
  for (const char* header : {"auto", "yes", "no"})
    latentkit::fuzz::expect_success_or_input_error(path, [&] { latentkit::read_csv(path, header); });
  return 0;
}
