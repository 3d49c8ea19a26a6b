#pragma once
// Image arrays in the layouts files and callers hold them ([N, D] rows, [N, H, W] grey,
// [N, C, H, W] or [N, H, W, C]) turned into the rows latentkit works on: [N, C*H*W] in C, H, W
// order. And the one rule for what values an image may hold: pixel levels 0..255.
#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "latentkit/data/dataset.h"

namespace latentkit {

// values: [N, D], [N, H, W] (one channel), [N, C, H, W] or [N, H, W, C], any numeric dtype
//   -> [N, D] float32 raw values in C,H,W order (pixel levels unchanged).
// With `shape`, the layout is matched against it: [N, D] when D == shape.numel(), [N, H, W] only
// when C == 1, [N, C, H, W] or [N, H, W, C], whichever fits (NCHW when both do, i.e. C == H == W).
// Without it, [N, dim] is accepted (any D when dim <= 0), and an image layout only when it is
// unambiguous: [N, H, W], or a 4-D array whose channel axis (1 or 3 channels, or 4) is either
// the second or the last axis but not both; its row size must then equal dim when dim > 0.
// A mismatch throws InputError("<where>: ...has shape [..], the model expects ...").
torch::Tensor image_rows(const torch::Tensor& values, const std::optional<ImageShape>& shape,
                         int64_t dim, const std::string& where);

// The ImageShape of an unambiguous image array (as image_rows reads one without a shape):
// [N, H, W] -> {1, H, W}; [N, C, H, W] / [N, H, W, C] -> {C, H, W}. Throws InputError naming
// `where` for a 2-D array or an ambiguous 4-D one.
ImageShape image_shape_of(const torch::Tensor& values, const std::string& where);

// values: any shape, any numeric dtype -> the same shape as float32 pixel levels in 0..255.
// Integer values must already be levels 0..255. Float values in [0, 1] are taken as
// intensities and multiplied by 255 (so unit scaling's /255 gives them back); float values in
// 0..255 (some above 1) are levels as they are. Anything else (negative values, values above
// 255, NaN) throws InputError naming `where` and the range found.
torch::Tensor to_pixel_levels(const torch::Tensor& values, const std::string& where);

}  // namespace latentkit
