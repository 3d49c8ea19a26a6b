#include "latentkit/nn/activation.h"

#include <torch/torch.h>

#include "latentkit/error.h"

namespace latentkit {

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = {"relu", "leaky_relu", "elu",
                                                 "tanh", "sigmoid",    "gelu"};
  return names;
}

// Each returned module maps a tensor of any shape elementwise to the same shape.
torch::nn::AnyModule make_activation(const std::string& name) {
  namespace nn = torch::nn;
  if (name == "relu") return nn::AnyModule(nn::ReLU());
  if (name == "leaky_relu") return nn::AnyModule(nn::LeakyReLU());  // slope 0.01
  if (name == "elu") return nn::AnyModule(nn::ELU());                // alpha 1
  if (name == "tanh") return nn::AnyModule(nn::Tanh());
  if (name == "sigmoid") return nn::AnyModule(nn::Sigmoid());
  if (name == "gelu") return nn::AnyModule(nn::GELU());  // exact (erf) form
  std::string expected;
  for (const auto& n : activation_names()) expected += (expected.empty() ? "" : ", ") + n;
  fail("activation", "unknown activation '" + name + "' (expected one of: " + expected + ")");
}

}  // namespace latentkit
