#pragma once
// Activation functions chosen by name, as modules so they can sit in a Sequential.
#include <torch/nn/modules/container/any.h>

#include <string>
#include <vector>

namespace latentkit {

// "relu" | "leaky_relu" | "elu" | "tanh" | "sigmoid" | "gelu". Throws InputError otherwise.
torch::nn::AnyModule make_activation(const std::string& name);

// The names make_activation() accepts, in display order (for validation and help text).
const std::vector<std::string>& activation_names();

}  // namespace latentkit
