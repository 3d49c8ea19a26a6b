// The importance-weighted autoencoder ("iwae"); see iwae.h.
#include "latentkit/models/iwae.h"
#include "latentkit/util/batch_shard.h"

#include <torch/torch.h>

#include <cmath>

namespace latentkit {

const OptionTable& ImportanceOptions::table() {
  using Self = ImportanceOptions;
  static const OptionTable table = OptionTable::of<Self>("importance", "Importance-weighted bound",
                                                         {LATENTKIT_IMPORTANCE_OPTIONS(LATENTKIT_OPTION_SPEC)});
  return table;
}

IWAE::IWAE(ModelConfig config) : VAE(std::move(config)) {}

// x: [B, D] -> scalar terms, k reparameterised samples per row.
LossTerms IWAE::losses(const torch::Tensor& x, const torch::Tensor& y) {
  const auto options = encoder()->parameters().front().options();
  auto eps = draw_for_batch(x.size(0), [&](int64_t n) {
    return torch::randn({config_.get<ImportanceOptions>().iwae_k, n, latent_dim()}, options);
  }, /*dim=*/1);  // [k, B, L]
  return losses_with_noise(x, eps, y);
}

// x: [B, D], eps: [k, B, L] -> scalar terms.
LossTerms IWAE::losses_with_noise(const torch::Tensor& x, const torch::Tensor& eps,
                                  const torch::Tensor& y) {
  const auto e = eps.dim() == 2 ? eps.unsqueeze(0) : eps;  // [k, B, L]
  const Posterior q = posterior(x, y);
  torch::Tensor log_px;
  auto lw = log_weights(x, q, e, y, &log_px);  // [k, B]
  auto bound = (torch::logsumexp(lw, /*dim=*/0) - std::log(static_cast<double>(e.size(0)))).mean();
  auto recon = -log_px[0].mean();
  auto kl = kl_to_prior(q).mean();
  return {{"loss", -bound},
          {"iwae_bound", bound},
          {"recon", recon},
          {"kl", kl},
          {"elbo", -(recon + kl)}};
}

}  // namespace latentkit
