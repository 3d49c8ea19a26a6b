// The logit transform; see logit.h.
#include "latentkit/flows/logit.h"

#include <torch/torch.h>

#include <cmath>

namespace latentkit {

// y: [B, ...] -> v, logdet: [B]
FlowOutput Logit::forward(const torch::Tensor& y) {
  auto p = alpha_ + (1 - 2 * alpha_) * y;
  auto v = torch::log(p) - torch::log1p(-p);
  auto logdet = (std::log(1 - 2 * alpha_) - torch::log(p) - torch::log1p(-p)).flatten(1).sum(1);
  return {v, logdet};
}

torch::Tensor Logit::inverse(const torch::Tensor& v) {
  return (torch::sigmoid(v) - alpha_) / (1 - 2 * alpha_);
}

}  // namespace latentkit
