#pragma once
// ActNorm (Glow): a per-channel affine map y = (x + loc) * exp(log_scale), with data-dependent
// initialisation: the first forward pass in training mode sets loc and log_scale so that this
// batch's output has zero mean and unit variance per channel. The `initialized` buffer is saved in
// checkpoints, so a resumed or loaded model is not initialised again.
// Channels are dimension 1: x: [B, D] (one per feature) or [B, C, H, W] (one per channel).
#include "latentkit/flows/flow_layer.h"

namespace latentkit {

class ActNorm : public FlowLayer {
 public:
  // `channels`: D (vectors) or C (images); `image`: whether x is [B, C, H, W].
  ActNorm(int64_t channels, bool image);
  // x -> y: same shape, logdet: [B] = (H*W) * sum(log_scale)
  FlowOutput forward(const torch::Tensor& x) override;
  torch::Tensor inverse(const torch::Tensor& y) override;
  bool initialized() const;
  // Sets loc and log_scale from a batch x (as the first training pass does).
  void initialize(const torch::Tensor& x);

  torch::Tensor loc, log_scale;  // [1, C, 1, 1] or [1, D]

 private:
  torch::Tensor initialized_;  // 0-dim, 1 once initialised
};

}  // namespace latentkit
