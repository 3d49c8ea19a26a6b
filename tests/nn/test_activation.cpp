// Activations by name against their textbook formulas.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "latentkit/error.h"
#include "latentkit/nn/activation.h"

namespace latentkit {
namespace activation_test {

double reference(const std::string& name, double x) {
  if (name == "relu") return x > 0 ? x : 0;
  if (name == "leaky_relu") return x > 0 ? x : 0.01 * x;
  if (name == "elu") return x > 0 ? x : std::exp(x) - 1;
  if (name == "tanh") return std::tanh(x);
  if (name == "sigmoid") return 1 / (1 + std::exp(-x));
  if (name == "gelu") return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  ADD_FAILURE() << "no reference for " << name;
  return 0;
}

TEST(Activation, EveryNameMatchesItsFormula) {
  const std::vector<double> xs = {-3.0, -0.5, -1e-3, 0.0, 2e-3, 0.7, 4.0};
  auto x = torch::tensor(xs, torch::kFloat64);
  ASSERT_EQ(activation_names().size(), 6u);
  for (const auto& name : activation_names()) {
    auto y = make_activation(name).forward(x);
    ASSERT_EQ(y.sizes(), x.sizes()) << name;
    for (size_t i = 0; i < xs.size(); ++i)
      EXPECT_NEAR(y[i].item<double>(), reference(name, xs[i]), 1e-12) << name << " at " << xs[i];
  }
}

TEST(Activation, UnknownNameIsAnInputErrorNamingTheField) {
  try {
    make_activation("swish");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("activation"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("swish"), std::string::npos);
  }
}

}  // namespace
}  // namespace latentkit
