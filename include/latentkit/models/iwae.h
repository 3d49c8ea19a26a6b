#pragma once
// The importance-weighted autoencoder ("iwae"): the VAE's networks and likelihoods, trained on
// the k-sample importance-weighted bound (Burda et al., 2016) with k = iwae_k (ImportanceOptions):
//   log w_i = log p(x|z_i) + log N(z_i; 0, I) - log q(z_i|x),  z_i = mu + sd * eps_i,
//   loss    = -mean_B [logsumexp_i log w_i - log k]   ("iwae_bound" = -loss).
// For comparison with the VAE it also reports "recon" (-log p(x|z_1), the first sample), "kl"
// (closed form) and "elbo" = -(recon + kl). beta and the KL warm-up do not apply. With k = 1 the
// loss is the single-sample ELBO with a Monte Carlo KL estimate (log q(z_1|x) - log p(z_1))
// rather than the VAE's closed-form KL; the two agree in expectation.
#include "latentkit/models/vae.h"

namespace latentkit {

#define LATENTKIT_IMPORTANCE_OPTIONS(X) \
  X(int64_t, iwae_k, 5, "--iwae-k", "Importance samples k of the training bound", between(1, 1e5))

struct ImportanceOptions {
  LATENTKIT_IMPORTANCE_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

class IWAE : public VAE {
 public:
  explicit IWAE(ModelConfig config);

  // x: [B, D] -> {"loss", "iwae_bound", "recon", "kl", "elbo"}, eps ~ N(0, I) [k, B, L] drawn here.
  LossTerms losses(const torch::Tensor& x, const torch::Tensor& y = {}) override;
  // The same with the noise given: eps: [k, B, L] (or [B, L] for k = 1).
  LossTerms losses_with_noise(const torch::Tensor& x, const torch::Tensor& eps,
                              const torch::Tensor& y = {}) override;
};

}  // namespace latentkit
