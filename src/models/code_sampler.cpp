// Gaussian sampler for latent codes; see code_sampler.h.
#include "latentkit/models/code_sampler.h"

#include <torch/torch.h>

#include "latentkit/error.h"

namespace latentkit {

GaussianCodeSampler GaussianCodeSampler::fit(const torch::Tensor& codes, double jitter) {
  if (codes.dim() != 2 || codes.size(0) < 2) fail("codes", "need at least 2 codes to fit a Gaussian");
  auto c = codes.to(torch::kFloat64);
  GaussianCodeSampler s;
  s.mean = c.mean(0);
  auto centred = c - s.mean;
  auto cov = torch::mm(centred.t(), centred) / static_cast<double>(c.size(0) - 1);  // [L, L]
  const double scale = cov.diagonal().mean().item<double>();
  cov += torch::eye(c.size(1), cov.options()) * (jitter * std::max(scale, 1e-12));
  s.cholesky = torch::linalg_cholesky(cov).to(codes.scalar_type());
  s.mean = s.mean.to(codes.scalar_type());
  return s;
}

// -> [n, L]
torch::Tensor GaussianCodeSampler::sample(int64_t n) const {
  auto eps = torch::randn({n, mean.size(0)}, mean.options());
  return mean + torch::mm(eps, cholesky.t());
}

}  // namespace latentkit
