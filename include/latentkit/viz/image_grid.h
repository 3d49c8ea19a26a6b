#pragma once
// PNG grids of images, written atomically (temporary file, then rename).
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace latentkit {

// images: [N, C*H*W] values in [0, 1] (clamped), laid out row-major in a grid of `columns`
// columns with a `padding`-pixel border. C is 1 (grey) or 3 (RGB).
void write_image_grid(const std::string& path, const torch::Tensor& images,
                      const std::vector<int64_t>& image_shape, int64_t columns,
                      int64_t padding = 2);

// The same grid as PNG bytes; errors name `where`.
std::vector<unsigned char> image_grid_png(const torch::Tensor& images,
                                          const std::vector<int64_t>& image_shape, int64_t columns,
                                          int64_t padding = 2,
                                          const std::string& where = "image grid");

// Encodes an H×W×C uint8 buffer as PNG bytes (C = 1, 3 or 4).
std::vector<unsigned char> encode_png(const unsigned char* pixels, int width, int height,
                                      int channels);

}  // namespace latentkit
