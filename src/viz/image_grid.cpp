#include "latentkit/viz/image_grid.h"

#include <stb/stb_image_write.h>  // implementation lives in Debian's libstb.so

#include <cmath>
#include <limits>
#include <string_view>

#include "latentkit/error.h"
#include "latentkit/util/atomic_file.h"

namespace latentkit {
namespace {

// Mid-grey used for the padding between and around the images.
constexpr unsigned char kBackground = 128;
// Upper bound on a PNG side (and on its row stride in bytes) so int arithmetic in stb is safe.
constexpr int64_t kMaxSide = std::numeric_limits<int>::max() / 4;

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<unsigned char>*>(context);
  const auto* bytes = static_cast<const unsigned char*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

// [0, 1] -> [0, 255], rounding to nearest; NaN and negatives -> 0, values >= 1 -> 255.
unsigned char to_byte(float v) {
  if (!(v > 0.0f)) return 0;  // also catches NaN
  if (v >= 1.0f) return 255;
  return static_cast<unsigned char>(std::lround(static_cast<double>(v) * 255.0));
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace

std::vector<unsigned char> encode_png(const unsigned char* pixels, int width, int height,
                                      int channels) {
  if (!pixels) fail("encode_png", "null pixel buffer");
  if (width <= 0 || height <= 0)
    fail("encode_png", "invalid size " + std::to_string(width) + "x" + std::to_string(height));
  if (channels != 1 && channels != 3 && channels != 4)
    fail("encode_png", "channels must be 1, 3 or 4, got " + std::to_string(channels));
  if (static_cast<int64_t>(width) * channels > kMaxSide)
    fail("encode_png", "image too wide: " + std::to_string(width));
  std::vector<unsigned char> out;
  const int ok =
      stbi_write_png_to_func(&append_bytes, &out, width, height, channels, pixels, width * channels);
  if (!ok || out.empty()) throw std::runtime_error("encode_png: PNG encoding failed");
  return out;
}

std::vector<unsigned char> image_grid_png(const torch::Tensor& images,
                                          const std::vector<int64_t>& image_shape, int64_t columns,
                                          int64_t padding, const std::string& where) {
  if (!images.defined()) fail(where, "images tensor is undefined");
  if (images.dim() != 2)
    fail(where, "images must be 2-D [N, C*H*W], got " + std::to_string(images.dim()) + "-D");
  if (image_shape.size() != 3)
    fail(where, "image shape must have 3 entries (C, H, W), got " + shape_string(image_shape));
  const int64_t c = image_shape[0], h = image_shape[1], w = image_shape[2];
  if (c != 1 && c != 3)
    fail(where, "image shape " + shape_string(image_shape) + ": channels must be 1 or 3");
  if (h <= 0 || w <= 0 || h > kMaxSide || w > kMaxSide)
    fail(where, "image shape " + shape_string(image_shape) + ": invalid height/width");
  if (c * h * w != images.size(1))
    fail(where, "image shape " + shape_string(image_shape) + " has " +
                    std::to_string(c * h * w) + " values but images have " +
                    std::to_string(images.size(1)) + " per row");
  const int64_t n = images.size(0);
  if (n <= 0) fail(where, "no images to write");
  if (columns <= 0) fail(where, "columns must be positive, got " + std::to_string(columns));
  if (padding < 0) fail(where, "padding must be non-negative, got " + std::to_string(padding));
  if (padding > kMaxSide) fail(where, "padding too large: " + std::to_string(padding));

  const int64_t rows = (n + columns - 1) / columns;
  // Checked without overflow: each factor is < kMaxSide ~ 2^29, so the products fit in int64.
  if (columns > kMaxSide || rows > kMaxSide) fail(where, "grid too large");
  const int64_t grid_w = columns * (w + padding) + padding;
  const int64_t grid_h = rows * (h + padding) + padding;
  if (grid_w * c > kMaxSide || grid_h > kMaxSide)
    fail(where, "grid too large: " + std::to_string(grid_w) + "x" + std::to_string(grid_h));

  const torch::Tensor cpu =
      images.detach().to(torch::TensorOptions().device(torch::kCPU).dtype(torch::kFloat32))
          .contiguous();
  const float* src = cpu.data_ptr<float>();

  std::vector<unsigned char> pixels(static_cast<size_t>(grid_w * grid_h * c), kBackground);
  const int64_t plane = h * w;
  for (int64_t i = 0; i < n; ++i) {
    const float* img = src + i * c * plane;
    const int64_t top = padding + (i / columns) * (h + padding);
    const int64_t left = padding + (i % columns) * (w + padding);
    for (int64_t y = 0; y < h; ++y) {
      unsigned char* row = pixels.data() + ((top + y) * grid_w + left) * c;
      for (int64_t x = 0; x < w; ++x)
        for (int64_t ch = 0; ch < c; ++ch)  // channel-major tensor -> interleaved PNG
          row[x * c + ch] = to_byte(img[ch * plane + y * w + x]);
    }
  }

  return encode_png(pixels.data(), static_cast<int>(grid_w), static_cast<int>(grid_h),
                    static_cast<int>(c));
}

void write_image_grid(const std::string& path, const torch::Tensor& images,
                      const std::vector<int64_t>& image_shape, int64_t columns,
                      int64_t padding) {
  const std::vector<unsigned char> png =
      image_grid_png(images, image_shape, columns, padding, "image grid " + path);
  write_file_atomic(path,
                    std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace latentkit
