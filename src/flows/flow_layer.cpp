// Composition of flow layers: sequences and the multi-scale factor-out (see flow_layer.h).
#include "latentkit/flows/flow_layer.h"

#include <torch/torch.h>

namespace latentkit {

int64_t shape_numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

void FlowSequence::push_back(std::shared_ptr<FlowLayer> layer) {
  layers_.push_back(register_module(std::to_string(layers_.size()), std::move(layer)));
}

// x: [B, ...] -> y, logdet: [B]
FlowOutput FlowSequence::forward(const torch::Tensor& x) {
  torch::Tensor h = x;
  torch::Tensor logdet = torch::zeros({x.size(0)}, x.options());
  for (auto& layer : layers_) {
    FlowOutput out = layer->forward(h);
    h = out.y;
    logdet = logdet + out.logdet;
  }
  return {h, logdet};
}

torch::Tensor FlowSequence::inverse(const torch::Tensor& y) {
  torch::Tensor h = y;
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) h = (*it)->inverse(h);
  return h;
}

std::vector<int64_t> FlowSequence::output_shape(const std::vector<int64_t>& in) const {
  std::vector<int64_t> shape = in;
  for (const auto& layer : layers_) shape = layer->output_shape(shape);
  return shape;
}

MultiScaleFlow::MultiScaleFlow(std::vector<std::shared_ptr<FlowSequence>> levels,
                               std::vector<int64_t> input_shape)
    : input_shape_(std::move(input_shape)) {
  TORCH_CHECK(!levels.empty(), "MultiScaleFlow needs at least one level");
  std::vector<int64_t> shape = input_shape_;
  for (size_t l = 0; l < levels.size(); ++l) {
    levels_.push_back(register_module("level" + std::to_string(l), levels[l]));
    shape = levels[l]->output_shape(shape);
    level_out_.push_back(shape);
    if (l + 1 < levels.size()) {
      TORCH_CHECK(shape[0] >= 2, "factor-out needs at least 2 channels");
      shape[0] -= shape[0] / 2;  // the first C/2 channels leave
    }
  }
}

// x: [B, C, H, W] -> z: [B, C*H*W], logdet: [B]
FlowOutput MultiScaleFlow::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> parts;
  torch::Tensor h = x;
  torch::Tensor logdet = torch::zeros({x.size(0)}, x.options());
  for (size_t l = 0; l < levels_.size(); ++l) {
    FlowOutput out = levels_[l]->forward(h);
    logdet = logdet + out.logdet;
    h = out.y;
    if (l + 1 < levels_.size()) {
      const int64_t out_c = h.size(1) / 2;
      parts.push_back(h.narrow(1, 0, out_c).flatten(1));
      h = h.narrow(1, out_c, h.size(1) - out_c);
    }
  }
  parts.push_back(h.flatten(1));
  return {torch::cat(parts, 1), logdet};
}

// z: [B, C*H*W] -> x: [B, C, H, W]. Walks the levels backwards, re-attaching each factored-out part.
torch::Tensor MultiScaleFlow::inverse(const torch::Tensor& z) {
  const int64_t b = z.size(0);
  // Offsets of the parts in z, in order of leaving.
  std::vector<int64_t> offsets{0};
  for (size_t l = 0; l + 1 < levels_.size(); ++l) {
    const auto& s = level_out_[l];
    offsets.push_back(offsets.back() + (s[0] / 2) * s[1] * s[2]);
  }
  const auto& last = level_out_.back();
  std::vector<int64_t> last_view{b};
  last_view.insert(last_view.end(), last.begin(), last.end());
  torch::Tensor h = z.narrow(1, offsets.back(), shape_numel(last)).reshape(last_view);
  for (size_t l = levels_.size(); l-- > 0;) {
    if (l + 1 < levels_.size()) {
      const auto& s = level_out_[l];
      const int64_t out_c = s[0] / 2;
      auto part = z.narrow(1, offsets[l], out_c * s[1] * s[2]).reshape({b, out_c, s[1], s[2]});
      h = torch::cat({part, h}, 1);
    }
    h = levels_[l]->inverse(h);
  }
  return h;
}

std::vector<int64_t> MultiScaleFlow::output_shape(const std::vector<int64_t>& in) const {
  return {shape_numel(in)};
}

}  // namespace latentkit
