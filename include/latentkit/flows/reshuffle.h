#pragma once
// Volume-preserving rearrangements (logdet = 0):
//   Permutation: a fixed permutation of dimension 1 (channels of [B, C, H, W], features of [B, D]),
//                reversed or random; stored as a buffer so a loaded model keeps its draw.
//   Squeeze:     space to channels, [B, C, H, W] -> [B, 4C, H/2, W/2]; each 2x2 block becomes
//                four channels.
#include "latentkit/flows/flow_layer.h"

namespace latentkit {

class Permutation : public FlowLayer {
 public:
  // `random`: a draw from the global generator, else the reversal.
  Permutation(int64_t channels, bool random);
  // x: [B, C, ...] -> y: [B, C, ...] with y[:, i] = x[:, perm[i]], logdet 0
  FlowOutput forward(const torch::Tensor& x) override;
  torch::Tensor inverse(const torch::Tensor& y) override;

 private:
  torch::Tensor perm_, inv_;  // [C] int64 buffers
};

class Squeeze : public FlowLayer {
 public:
  // x: [B, C, H, W] -> y: [B, 4C, H/2, W/2] (H, W even), logdet 0
  FlowOutput forward(const torch::Tensor& x) override;
  torch::Tensor inverse(const torch::Tensor& y) override;
  std::vector<int64_t> output_shape(const std::vector<int64_t>& in) const override;
};

}  // namespace latentkit
