#pragma once
// Coupling layers (NICE, RealNVP, Glow): a binary mask m picks the part that is copied; networks
// of the copied part scale and shift the rest.
//   additive (NICE):    y = m*x + (1-m) * (x + t(m*x)),                   logdet = 0
//   affine (RealNVP):   y = m*x + (1-m) * (x * exp(s(m*x)) + t(m*x)),     logdet = sum (1-m)*s
// with s = scale * tanh(raw) bounded per layer (scale learned per channel, starting at 1), and the
// networks' last layer zero-initialised so every coupling starts as the identity.
// Masks: half masks for vectors ([1, D]), checkerboard ([1, 1, H, W]) and channel-wise
// ([1, C, 1, 1]) masks for images; layers alternate a mask with its complement.
#include <torch/nn/modules/container/sequential.h>

#include "latentkit/flows/flow_layer.h"

namespace latentkit {

enum class CouplingKind { Additive, Affine };

// [1, D]: 1 on the first D/2 features (or the rest when `flip`).
torch::Tensor half_mask(int64_t dim, bool flip);
// [1, 1, H, W]: 1 where (i + j) is even (odd when `flip`).
torch::Tensor checkerboard_mask(int64_t height, int64_t width, bool flip);
// [1, C, 1, 1]: 1 on the first C/2 channels (the rest when `flip`).
torch::Tensor channel_mask(int64_t channels, bool flip);

// Networks of the copied part, emitting `outputs` values per input value (1: t; 2: s and t),
// last layer zero-initialised.
// Vectors: [B, D] -> [B, outputs*D], an MLP with two hidden layers of `hidden` units.
torch::nn::Sequential coupling_mlp(int64_t dim, int64_t hidden, int64_t outputs);
// Images: [B, C, H, W] -> [B, outputs*C, H, W]: conv 3x3, ReLU, conv 1x1, ReLU, conv 3x3 (Glow's).
torch::nn::Sequential coupling_convnet(int64_t channels, int64_t hidden, int64_t outputs);

class Coupling : public FlowLayer {
 public:
  // mask: [1, D] or [1, 1|C, H|1, W|1], broadcast over x; `net` maps m*x to [B, k*C, ...] (vectors:
  // [B, k*D]) with k = 1 (additive) or 2 (affine: s, then t); `channels`: C of x (vectors: D).
  Coupling(CouplingKind kind, torch::Tensor mask, torch::nn::Sequential net, int64_t channels);
  // x: [B, D] or [B, C, H, W] -> y: same shape, logdet: [B]
  FlowOutput forward(const torch::Tensor& x) override;
  torch::Tensor inverse(const torch::Tensor& y) override;

 private:
  // The masked shift t and log-scale s of the copied part m*x (s undefined for additive).
  void shift_and_log_scale(const torch::Tensor& copied, torch::Tensor& t, torch::Tensor& s);

  CouplingKind kind_;
  torch::Tensor mask_;   // buffer, see constructor
  torch::Tensor scale_;  // affine: [1, C, 1, 1] or [1, D], the tanh bound's learned factor
  torch::nn::Sequential net_{nullptr};
};

}  // namespace latentkit
