#pragma once
// One invertible layer of a normalizing flow. Every layer knows its forward map, its inverse and
// the log-determinant of its Jacobian, per sample:
//   forward: x: [B, ...] -> y: [B, ...] (same number of values per sample), logdet: [B]
//   inverse: y -> x
// The model (flow_model.h) composes layers and adds the base density, so
//   log p(x) = log pi(f(x)) + sum of the layers' logdets.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace latentkit {

struct FlowOutput {
  torch::Tensor y;       // [B, ...]
  torch::Tensor logdet;  // [B], log |det dy/dx| per sample
};

class FlowLayer : public torch::nn::Module {
 public:
  // x: [B, ...] -> {y, logdet: [B]}
  virtual FlowOutput forward(const torch::Tensor& x) = 0;
  // y: [B, ...] -> x
  virtual torch::Tensor inverse(const torch::Tensor& y) = 0;
  // The per-sample shape of y for a per-sample input shape (only squeeze changes it).
  virtual std::vector<int64_t> output_shape(const std::vector<int64_t>& in) const { return in; }
};

// Layers applied in order; the logdets add up.
class FlowSequence : public FlowLayer {
 public:
  // Registers `layer` as a submodule named by its position.
  void push_back(std::shared_ptr<FlowLayer> layer);
  FlowOutput forward(const torch::Tensor& x) override;
  torch::Tensor inverse(const torch::Tensor& y) override;
  std::vector<int64_t> output_shape(const std::vector<int64_t>& in) const override;
  const std::vector<std::shared_ptr<FlowLayer>>& layers() const { return layers_; }

 private:
  std::vector<std::shared_ptr<FlowLayer>> layers_;
};

// The multi-scale architecture of RealNVP and Glow: levels of layers on images; after every level
// but the last, half of the channels are factored out (sent to z unchanged) and the rest go on.
//   forward: x: [B, C, H, W] -> z: [B, C*H*W], the factored-out parts flattened in order of
//   leaving, then the last level's output.
class MultiScaleFlow : public FlowLayer {
 public:
  // `levels`: each level's layers; `input_shape`: {C, H, W} of x.
  MultiScaleFlow(std::vector<std::shared_ptr<FlowSequence>> levels, std::vector<int64_t> input_shape);
  FlowOutput forward(const torch::Tensor& x) override;
  torch::Tensor inverse(const torch::Tensor& z) override;
  std::vector<int64_t> output_shape(const std::vector<int64_t>& in) const override;

 private:
  std::vector<std::shared_ptr<FlowSequence>> levels_;
  std::vector<int64_t> input_shape_;
  // Per level: the shape leaving it (before the split); the last level's is whole.
  std::vector<std::vector<int64_t>> level_out_;
};

// The number of values in a per-sample shape.
int64_t shape_numel(const std::vector<int64_t>& shape);

}  // namespace latentkit
