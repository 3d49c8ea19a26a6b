// The checkpoint envelope: the zip container checks that run before LibTorch's reader and
// unpickler see a checkpoint's bytes (train/checkpoint_archive.h).
#include <string_view>

#include "fuzz_input.h"
#include "latentkit/train/checkpoint_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string where = "last.pt";
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  latentkit::fuzz::expect_success_or_input_error(where, [&] { latentkit::check_checkpoint_archive(where, bytes); });
  return 0;
}
