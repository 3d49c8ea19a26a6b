// image_rows / image_shape_of / to_pixel_levels: the layouts image arrays come in, and the
// pixel-level rule every image source shares.
#include "latentkit/data/image_layout.h"

#include <cmath>
#include <vector>

#include "latentkit/error.h"

namespace latentkit {
namespace {

std::string shape_text(c10::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

std::string chw_text(const ImageShape& s) {
  return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" +
         std::to_string(s.width);
}

// Channel counts an image can have without a shape to say so: grey, RGB, RGBA.
bool channel_like(int64_t n) { return n == 1 || n == 3 || n == 4; }

// values: [N, C, H, W] or [N, H, W, C] (`nhwc`) -> [N, C*H*W] float32 in C, H, W order.
torch::Tensor rows_of(const torch::Tensor& values, bool nhwc) {
  const torch::Tensor nchw = nhwc ? values.permute({0, 3, 1, 2}) : values;
  return nchw.contiguous().reshape({values.size(0), -1}).to(torch::kFloat32);
}

// What the model (or the caller) expects, for the error message.
std::string expected_text(const std::optional<ImageShape>& shape, int64_t dim) {
  if (shape)
    return "images " + chw_text(*shape) + " ([N, " + std::to_string(shape->numel()) + "], [N, " +
           std::to_string(shape->channels) + ", " + std::to_string(shape->height) + ", " +
           std::to_string(shape->width) + "] or [N, " + std::to_string(shape->height) + ", " +
           std::to_string(shape->width) + ", " + std::to_string(shape->channels) + "]" +
           (shape->channels == 1 ? " or [N, " + std::to_string(shape->height) + ", " +
                                       std::to_string(shape->width) + "]"
                                 : std::string()) +
           ")";
  if (dim > 0) return "rows of " + std::to_string(dim) + " values";
  return "a 2-D array [N, D] or images [N, H, W], [N, C, H, W], [N, H, W, C]";
}

[[noreturn]] void mismatch(const torch::Tensor& values, const std::optional<ImageShape>& shape,
                           int64_t dim, const std::string& where, const std::string& why = "") {
  fail(where, "has shape " + shape_text(values.sizes()) + why + ", the model expects " +
                  expected_text(shape, dim));
}

}  // namespace

// values: [N, H, W] or [N, C, H, W] / [N, H, W, C] -> {C, H, W}
ImageShape image_shape_of(const torch::Tensor& values, const std::string& where) {
  if (values.dim() == 3) return ImageShape{1, values.size(1), values.size(2)};
  if (values.dim() == 4) {
    const bool first = channel_like(values.size(1)), last = channel_like(values.size(3));
    if (first && !last) return ImageShape{values.size(1), values.size(2), values.size(3)};
    if (last && !first) return ImageShape{values.size(3), values.size(1), values.size(2)};
    fail(where, "has shape " + shape_text(values.sizes()) +
                    ": cannot tell whether the channels (1, 3 or 4) are the second or the last "
                    "axis; give the image shape");
  }
  fail(where, "has shape " + shape_text(values.sizes()) +
                  ", expected images [N, H, W], [N, C, H, W] or [N, H, W, C]");
}

// -> [N, D] float32
torch::Tensor image_rows(const torch::Tensor& values, const std::optional<ImageShape>& shape,
                         int64_t dim, const std::string& where) {
  const int64_t rank = values.dim();
  if (rank < 2 || rank > 4) mismatch(values, shape, dim, where);
  if (shape) {
    const ImageShape& s = *shape;
    if (rank == 2) {
      if (values.size(1) != s.numel()) mismatch(values, shape, dim, where);
      return values.to(torch::kFloat32).contiguous();
    }
    if (rank == 3) {
      if (s.channels != 1 || values.size(1) != s.height || values.size(2) != s.width)
        mismatch(values, shape, dim, where);
      return values.reshape({values.size(0), -1}).to(torch::kFloat32).contiguous();
    }
    const auto v = values.sizes();
    if (v[1] == s.channels && v[2] == s.height && v[3] == s.width) return rows_of(values, false);
    if (v[1] == s.height && v[2] == s.width && v[3] == s.channels) return rows_of(values, true);
    mismatch(values, shape, dim, where);
  }
  if (rank == 2) {
    if (dim > 0 && values.size(1) != dim) mismatch(values, shape, dim, where);
    return values.to(torch::kFloat32).contiguous();
  }
  const ImageShape s = image_shape_of(values, where);
  if (dim > 0 && s.numel() != dim)
    mismatch(values, shape, dim, where, " (images " + chw_text(s) + ")");
  const bool nhwc = rank == 4 && values.size(1) != s.channels;
  return rank == 3 ? values.reshape({values.size(0), -1}).to(torch::kFloat32).contiguous()
                   : rows_of(values, nhwc);
}

// -> values' shape, float32 levels 0..255
torch::Tensor to_pixel_levels(const torch::Tensor& values, const std::string& where) {
  torch::Tensor v = values.to(torch::kFloat32);
  if (values.numel() == 0) return v;
  if (values.scalar_type() == torch::kUInt8) return v;
  const double lo = v.min().item<double>(), hi = v.max().item<double>();
  const bool finite = std::isfinite(lo) && std::isfinite(hi);
  if (!finite || lo < 0 || hi > 255)
    fail(where, "image values must be pixel levels in 0..255 (or intensities in [0, 1]), found " +
                    (finite ? std::to_string(lo) + ".." + std::to_string(hi)
                            : std::string("NaN or infinite values")));
  // Intensities in [0, 1] become levels, so that every image source reaches the model the same.
  if (hi <= 1 && torch::isFloatingType(values.scalar_type())) v.mul_(255);
  return v;
}

}  // namespace latentkit
