#pragma once
// The denoising autoencoder ("dae"): the plain autoencoder's networks and losses (see
// autoencoder.h), trained to map a corrupted input x̃ = corrupt(x, noise, noise_level) back to
// the clean x (see corruption.h). Gaussian noise is clamped to [0, 1] for loss "bce" and left
// unclipped for "mse". Options: the autoencoder's and CorruptionOptions.
#include "latentkit/models/autoencoder.h"
#include "latentkit/models/corruption.h"

namespace latentkit {

#define LATENTKIT_CORRUPTION_OPTIONS(X)                                                              \
  X(std::string, noise, "gaussian", "--noise",                                                        \
    "Input corruption KIND:LEVEL: gaussian:STD, mask:FRACTION or salt-pepper:FRACTION",              \
    one_of(noise_kinds()))                                                                            \
  X(double, noise_level, 0.3, "", "The corruption's level (set by --noise KIND:LEVEL)", any_value())

struct CorruptionOptions {
  LATENTKIT_CORRUPTION_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

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
