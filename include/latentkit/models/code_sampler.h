#pragma once
// A sampler for the latent space of models without a prior (plain, denoising, dropout and deep
// autoencoders): a full-covariance Gaussian fitted to the codes of the training set, whose draws
// the decoder turns into samples.
#include <torch/types.h>

namespace latentkit {

struct GaussianCodeSampler {
  torch::Tensor mean;      // [L]
  torch::Tensor cholesky;  // [L, L], lower triangular: covariance = cholesky cholesky^T

  // codes: [N, L], N >= 2. The covariance gets `jitter` * mean variance added to its diagonal so
  // that collinear codes still factorise. Throws InputError on fewer than 2 codes.
  static GaussianCodeSampler fit(const torch::Tensor& codes, double jitter = 1e-6);
  // -> [n, L] draws mean + cholesky eps, eps ~ N(0, I), from the global generator.
  torch::Tensor sample(int64_t n) const;
};

}  // namespace latentkit
