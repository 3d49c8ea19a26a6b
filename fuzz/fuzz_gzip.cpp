// gzip streams: gunzip on any bytes (behind the IDX, CSV and .npy readers).
#include <string_view>

#include "fuzz_input.h"
#include "latentkit/data/file_bytes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string where = "input.gz";
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  latentkit::fuzz::expect_success_or_input_error(where, [&] { latentkit::gunzip(where, bytes); });
  return 0;
}
