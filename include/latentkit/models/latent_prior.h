#pragma once
// The priors an adversarial autoencoder matches its codes to, as samplers.
//   "gaussian": N(0, I_L)
//   "mixture":  `components` equally weighted Gaussians with standard deviation 0.25 whose means
//               sit evenly on the circle of radius 2 (L = 2)
//   "uniform":  uniform on the box [-2, 2]^L
#include <torch/types.h>

#include <cstdint>
#include <string>

namespace latentkit {

struct LatentPrior {
  std::string kind = "gaussian";
  int64_t dim = 2;
  int64_t components = 10;

  static constexpr double kMixtureRadius = 2.0;
  static constexpr double kMixtureStd = 0.25;
  static constexpr double kUniformHalfWidth = 2.0;

  // -> [n, dim] draws, with the global generator.
  torch::Tensor sample(int64_t n, const torch::TensorOptions& options) const;
  // -> [components, 2], the mixture's means.
  torch::Tensor mixture_means(const torch::TensorOptions& options) const;
};

}  // namespace latentkit
