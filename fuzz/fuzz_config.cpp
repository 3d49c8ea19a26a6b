// A run's config.json (train --config, and every run opened): RunConfig::load on any bytes.
#include "fuzz_input.h"
#include "latentkit/train/run_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = latentkit::fuzz::as_file(data, size, ".json");
  latentkit::fuzz::expect_success_or_input_error(path, [&] { latentkit::RunConfig::load(path); });
  return 0;
}
