#pragma once
// The denoising autoencoder ("dae"): the plain autoencoder's networks and losses (see
// autoencoder.h), trained to map a corrupted input x̃ = corrupt(x, config.noise,
// config.noise_level) back to the clean x (see corruption.h). Gaussian noise is clamped to
// [0, 1] for likelihood "bce" and left unclipped for "mse".
#include "latentkit/models/autoencoder.h"

namespace latentkit {

class DenoisingAutoencoder : public Autoencoder {
 public:
  explicit DenoisingAutoencoder(ModelConfig config);

  // x: [B, D] clean -> the Autoencoder's terms for reconstructing x from a freshly corrupted
  // copy, in training and evaluation mode alike (so a test loss measures denoising).
  // encode(), decode() and reconstruct() do not corrupt.
  LossTerms losses(const torch::Tensor& x, const torch::Tensor& y = {}) override;

  // x: [B, D] -> [B, D], the corruption this model trains on.
  torch::Tensor corrupt_input(const torch::Tensor& x) const;
};

}  // namespace latentkit
