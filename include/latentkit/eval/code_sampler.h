#pragma once
// Samplers for the latent space of models without a prior (plain, denoising, dropout and deep
// autoencoders), or as an alternative to a prior: a distribution fitted to the codes of the
// training set, whose draws the decoder turns into samples.
//   GaussianCodeSampler   one full-covariance Gaussian   (sample --sampler gaussian)
//   MixtureCodeSampler    a Gaussian mixture fitted by EM (sample --sampler gmm:K[:diag|:full])
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "latentkit/stats/gaussian_mixture.h"
#include "latentkit/models/model.h"

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

struct MixtureCodeSampler {
  GaussianMixture mixture;  // float64

  // codes: [N, L], N >= components. EM (gaussian_mixture.h) with k-means++ seeded by `seed`,
  // tolerance 1e-6 nats per code, at most 300 iterations, variances (eigenvalues) floored at
  // 1e-6 times the codes' mean variance. Throws InputError on fewer codes than components.
  static MixtureCodeSampler fit(const torch::Tensor& codes, int64_t components,
                                CovarianceType covariance = CovarianceType::Full, uint64_t seed = 0);
  // -> [n, L] in `dtype`, from the global generator.
  torch::Tensor sample(int64_t n, torch::ScalarType dtype = torch::kFloat32) const;
};

// A --sampler value: "prior" (the model's own), "gaussian", or "gmm:K" with an optional
// ":full" (the default) or ":diag".
struct SamplerSpec {
  std::string kind = "prior";  // "prior" | "gaussian" | "gmm"
  int64_t components = 0;      // gmm
  CovarianceType covariance = CovarianceType::Full;  // gmm
  std::string text() const;    // back to the flag's form
};
// Throws InputError naming `where` for anything else (gmm:0, gmm:x, gmm:3:foo, ...).
SamplerSpec parse_sampler_spec(const std::string& text, const std::string& where = "--sampler");

// n samples of `model` in model space: [n, D]. "prior" calls model.sample (InputError naming
// `where` for models without a prior); "gaussian" and "gmm" fit their sampler to the codes of
// train_x: [N, D] (encode_batched, train_y for conditional models) and decode its draws.
// Conditional models get uniformly drawn labels where y is undefined. Global generator.
torch::Tensor draw_model_samples(Model& model, const SamplerSpec& spec, int64_t n,
                                 const torch::Tensor& train_x, const torch::Tensor& train_y = {},
                                 const torch::Tensor& y = {}, const std::string& where = "--sampler");

}  // namespace latentkit
