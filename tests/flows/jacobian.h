#pragma once
// Test helper: the log|det| of a flow layer's Jacobian by brute force, one autograd pass per output
// row, for comparison with the layer's own logdet. Use float64 and small inputs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>

#include "latentkit/flows/flow_layer.h"

namespace latentkit::testing {

// f: x: [B, ...] -> y: [B, ...] with each sample's output depending only on its own input.
// -> [B], log|det dy_b/dx_b|, from the [B, D, D] Jacobian built row by row.
inline torch::Tensor brute_force_logdet(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                                        const torch::Tensor& x) {
  auto xg = x.detach().clone().requires_grad_(true);
  auto y = f(xg).flatten(1);  // [B, D]
  const int64_t b = y.size(0), d = y.size(1);
  EXPECT_EQ(d, x[0].numel()) << "a flow keeps the number of values per sample";
  auto jac = torch::zeros({b, d, d}, x.options());
  for (int64_t i = 0; i < d; ++i) {
    // Samples are independent, so the gradient of the batch sum gives row i of every sample.
    auto g = torch::autograd::grad({y.select(1, i).sum()}, {xg}, {}, /*retain_graph=*/true)[0];
    jac.select(1, i).copy_(g.flatten(1));
  }
  return std::get<1>(torch::linalg::slogdet(jac));
}

// Gives every parameter random values (scale `scale`), so zero-initialised layers are not the
// identity in tests.
inline void randomize(torch::nn::Module& m, double scale = 0.3) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters()) p.copy_(torch::randn_like(p) * scale);
}

}  // namespace latentkit::testing
