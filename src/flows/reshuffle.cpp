// Fixed permutations and squeeze (see reshuffle.h).
#include "latentkit/flows/reshuffle.h"

#include <torch/torch.h>

namespace latentkit {

Permutation::Permutation(int64_t channels, bool random) {
  auto perm = random ? torch::randperm(channels, torch::kLong)
                     : torch::arange(channels - 1, -1, -1, torch::kLong);
  perm_ = register_buffer("perm", perm);
  inv_ = register_buffer("inverse", torch::argsort(perm));
}

FlowOutput Permutation::forward(const torch::Tensor& x) {
  // The index buffers are cast back in case the module was converted to a float dtype.
  return {x.index_select(1, perm_.to(torch::kLong)), torch::zeros({x.size(0)}, x.options())};
}

torch::Tensor Permutation::inverse(const torch::Tensor& y) {
  return y.index_select(1, inv_.to(torch::kLong));
}

// x: [B, C, H, W] -> [B, 4C, H/2, W/2]; channel c*4 + 2*di + dj holds x[c, 2i + di, 2j + dj].
FlowOutput Squeeze::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  TORCH_CHECK(h % 2 == 0 && w % 2 == 0, "squeeze needs even height and width");
  auto y = x.reshape({b, c, h / 2, 2, w / 2, 2}).permute({0, 1, 3, 5, 2, 4}).reshape({b, 4 * c, h / 2, w / 2});
  return {y, torch::zeros({b}, x.options())};
}

// y: [B, 4C, H, W] -> [B, C, 2H, 2W]
torch::Tensor Squeeze::inverse(const torch::Tensor& y) {
  const int64_t b = y.size(0), c = y.size(1) / 4, h = y.size(2), w = y.size(3);
  return y.reshape({b, c, 2, 2, h, w}).permute({0, 1, 4, 2, 5, 3}).reshape({b, c, 2 * h, 2 * w});
}

std::vector<int64_t> Squeeze::output_shape(const std::vector<int64_t>& in) const {
  return {in[0] * 4, in[1] / 2, in[2] / 2};
}

}  // namespace latentkit
