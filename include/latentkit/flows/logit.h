#pragma once
// The logit transform of dequantised images (stats/dequantize.h): y in [0, 1] ->
// v = logit(a + (1 - 2a) y), which keeps v finite at y = 0 or 1.
#include "latentkit/flows/flow_layer.h"

namespace latentkit {

class Logit : public FlowLayer {
 public:
  explicit Logit(double alpha) : alpha_(alpha) {}
  // y: [B, ...] in [0, 1] -> v = logit(p), p = a + (1 - 2a) y;
  // logdet = sum over values of log(1 - 2a) - log p - log(1 - p).
  FlowOutput forward(const torch::Tensor& y) override;
  // v -> y = (sigmoid(v) - a) / (1 - 2a)
  torch::Tensor inverse(const torch::Tensor& v) override;

 private:
  double alpha_;
};

}  // namespace latentkit
