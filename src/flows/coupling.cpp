// Additive and affine coupling layers and their masks and networks (see coupling.h).
#include "latentkit/flows/coupling.h"

#include <torch/torch.h>

namespace latentkit {

namespace nn = torch::nn;

torch::Tensor half_mask(int64_t dim, bool flip) {
  auto m = (torch::arange(dim) < dim / 2).to(torch::kFloat32).view({1, dim});
  return flip ? 1 - m : m;
}

torch::Tensor checkerboard_mask(int64_t height, int64_t width, bool flip) {
  auto i = torch::arange(height).view({height, 1});
  auto j = torch::arange(width).view({1, width});
  auto m = ((i + j) % 2 == 0).to(torch::kFloat32).view({1, 1, height, width});
  return flip ? 1 - m : m;
}

torch::Tensor channel_mask(int64_t channels, bool flip) {
  auto m = (torch::arange(channels) < channels / 2).to(torch::kFloat32).view({1, channels, 1, 1});
  return flip ? 1 - m : m;
}

// [B, D] -> [B, outputs*D]
nn::Sequential coupling_mlp(int64_t dim, int64_t hidden, int64_t outputs) {
  nn::Linear last(hidden, outputs * dim);
  torch::NoGradGuard no_grad;
  last->weight.zero_();
  last->bias.zero_();
  return nn::Sequential(nn::Linear(dim, hidden), nn::ReLU(), nn::Linear(hidden, hidden), nn::ReLU(),
                        last);
}

// [B, C, H, W] -> [B, outputs*C, H, W]
nn::Sequential coupling_convnet(int64_t channels, int64_t hidden, int64_t outputs) {
  nn::Conv2d last(nn::Conv2dOptions(hidden, outputs * channels, 3).padding(1));
  torch::NoGradGuard no_grad;
  last->weight.zero_();
  last->bias.zero_();
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(channels, hidden, 3).padding(1)), nn::ReLU(),
                        nn::Conv2d(nn::Conv2dOptions(hidden, hidden, 1)), nn::ReLU(), last);
}

Coupling::Coupling(CouplingKind kind, torch::Tensor mask, nn::Sequential net, int64_t channels)
    : kind_(kind) {
  mask_ = register_buffer("mask", mask);
  net_ = register_module("net", net);
  if (kind_ == CouplingKind::Affine) {
    // One factor per channel (images: [1, C, 1, 1]) or feature (vectors: [1, D]).
    std::vector<int64_t> shape(mask.dim(), 1);
    shape[1] = channels;
    scale_ = register_parameter("scale", torch::ones(shape));
  }
}

// copied = m*x: [B, ...] -> t, s: [B, ...], both zero on the copied part.
void Coupling::shift_and_log_scale(const torch::Tensor& copied, torch::Tensor& t, torch::Tensor& s) {
  auto out = net_->forward(copied);
  const auto keep = 1 - mask_;
  if (kind_ == CouplingKind::Additive) {
    t = out * keep;
    return;
  }
  auto st = out.chunk(2, 1);
  auto raw = torch::tanh(st[0]);
  s = raw * scale_ * keep;
  t = st[1] * keep;
}

// x: [B, ...] -> y: [B, ...], logdet: [B]
FlowOutput Coupling::forward(const torch::Tensor& x) {
  const auto copied = x * mask_;
  torch::Tensor t, s;
  shift_and_log_scale(copied, t, s);
  if (kind_ == CouplingKind::Additive)
    return {x + t, torch::zeros({x.size(0)}, x.options())};
  return {copied + (1 - mask_) * (x * torch::exp(s) + t), s.flatten(1).sum(1)};
}

// y: [B, ...] -> x. The copied part is unchanged, so the networks see the same input.
torch::Tensor Coupling::inverse(const torch::Tensor& y) {
  const auto copied = y * mask_;
  torch::Tensor t, s;
  shift_and_log_scale(copied, t, s);
  if (kind_ == CouplingKind::Additive) return y - t;
  return copied + (1 - mask_) * ((y - t) * torch::exp(-s));
}

}  // namespace latentkit
