#pragma once
// The VAE with a VampPrior ("vamp", Tomczak & Welling 2018): the VAE's networks and decoder
// (vae.h) with the prior replaced by the mixture of the posteriors of K learned pseudo-inputs
// u_k: [K, D] (VampOptions),
//   p(z) = 1/K sum_k q(z | u_k),   log p(z) = logsumexp_k log N(z; mu_k, diag(exp(logvar_k))) - log K.
// The KL term has no closed form: it is estimated with the training sample z ~ q(z|x),
//   kl = log q(z|x) - log p(z),
// so loss = recon + w * kl and elbo = -(recon + kl) in expectation, as for the VAE. The IWAE
// log-likelihood bound uses log p(z) in its weights. The pseudo-inputs start as rows of the
// first training batch (drawn with replacement, jittered), so they live where the data does.
//   sample(n): k uniform, z ~ q(z | u_k), decoded.
// Options: the VAE's (NetworkOptions, VaeOptions, KlOptions) and VampOptions.
#include "latentkit/models/vae.h"

namespace latentkit {

#define LATENTKIT_VAMP_OPTIONS(X) \
  X(int64_t, pseudo_inputs, 500, "--pseudo-inputs", "Pseudo-inputs K of the VampPrior", between(1, 1e6))

struct VampOptions {
  LATENTKIT_VAMP_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

class VampVAE : public VAE {
 public:
  explicit VampVAE(ModelConfig config);

  // z: [N, L] -> [N], log p(z) under the VampPrior.
  torch::Tensor log_prior(const torch::Tensor& z);
  // The prior's components, q(z | u_k): mu, logvar: [K, L].
  Posterior prior_components();
  // -> [n, D]
  torch::Tensor sample(int64_t n, const torch::Tensor& y = {}) override;
  // Places the pseudo-inputs on the first batch, then the VAE's step.
  LossTerms train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) override;

  torch::Tensor& pseudo_inputs() { return pseudo_inputs_; }
  bool initialised() const { return initialised_.item<bool>(); }

 protected:
  // q, z, eps: [B, L] -> [B], log q(z|x) - log p(z).
  torch::Tensor kl_term(const Posterior& q, const torch::Tensor& z, const torch::Tensor& eps) override;
  // z, eps: [k, B, L] -> [k, B], log p(z) - log q(z|x).
  torch::Tensor log_prior_ratio(const torch::Tensor& z, const torch::Tensor& eps, const Posterior& q) override;

 private:
  torch::Tensor pseudo_inputs_;  // [K, D] parameter
  torch::Tensor initialised_;    // [] bool buffer
};

}  // namespace latentkit
