// PNG and JPEG files (--data images:DIR, --input of image runs): decoded, then fitted to a size.
#include <torch/types.h>

#include "fuzz_input.h"
#include "latentkit/data/image_folder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = latentkit::fuzz::as_file(data, size, ".png");
  latentkit::fuzz::expect_success_or_input_error(path, [&] {
    const torch::Tensor image = latentkit::decode_image_file(path);  // [H, W, C] uint8
    latentkit::fit_image(image, 3, latentkit::ImageSize{8, 8});
  });
  return 0;
}
