// Latent priors; see latent_prior.h.
#include "latentkit/models/latent_prior.h"

#include <torch/torch.h>

#include <cmath>

namespace latentkit {

// -> [components, 2]
torch::Tensor LatentPrior::mixture_means(const torch::TensorOptions& options) const {
  auto angle = torch::arange(components, options) * (2 * M_PI / static_cast<double>(components));
  return torch::stack({torch::cos(angle), torch::sin(angle)}, 1) * kMixtureRadius;
}

// -> [n, dim]
torch::Tensor LatentPrior::sample(int64_t n, const torch::TensorOptions& options) const {
  if (kind == "mixture") {
    auto which = torch::randint(components, {n}, options.dtype(torch::kLong));
    return mixture_means(options).index_select(0, which) + kMixtureStd * torch::randn({n, 2}, options);
  }
  if (kind == "uniform") return (torch::rand({n, dim}, options) * 2 - 1) * kUniformHalfWidth;
  return torch::randn({n, dim}, options);
}

}  // namespace latentkit
