#pragma once
// Test helper: compares autograd's gradient of a scalar function of a module's parameters with
// central finite differences, element by element. Use float64 modules and tiny networks.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

namespace latentkit::testing {

// f: () -> 0-dim tensor depending on module's parameters. Fails the test (with the parameter's
// name and element index) where |numeric - autograd| > atol + rtol * max(|numeric|, |autograd|).
inline void expect_gradients_match(torch::nn::Module& module,
                                   const std::function<torch::Tensor()>& f, double h = 1e-6,
                                   double rtol = 1e-6, double atol = 1e-9) {
  auto params = module.named_parameters();
  ASSERT_GT(params.size(), 0u);
  for (auto& p : params) p.value().mutable_grad() = torch::Tensor();
  f().backward();

  int64_t checked = 0;
  for (auto& p : params) {
    ASSERT_EQ(p.value().scalar_type(), torch::kFloat64) << p.key();
    auto grad = p.value().grad();
    ASSERT_TRUE(grad.defined()) << p.key() << " gets no gradient";
    grad = grad.contiguous().view(-1);
    torch::NoGradGuard no_grad;
    auto flat = p.value().view(-1);  // shares storage: writing it perturbs the parameter
    for (int64_t i = 0; i < flat.numel(); ++i) {
      const double old = flat[i].item<double>();
      flat[i].fill_(old + h);
      const double up = f().item<double>();
      flat[i].fill_(old - h);
      const double down = f().item<double>();
      flat[i].fill_(old);
      const double numeric = (up - down) / (2 * h);
      const double analytic = grad[i].item<double>();
      const double tol = atol + rtol * std::max(std::abs(numeric), std::abs(analytic));
      EXPECT_NEAR(analytic, numeric, tol) << p.key() << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

}  // namespace latentkit::testing
