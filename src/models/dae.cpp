// The denoising autoencoder ("dae"); see dae.h.
#include "latentkit/models/dae.h"

#include <torch/torch.h>

#include "latentkit/models/corruption.h"

namespace latentkit {

DenoisingAutoencoder::DenoisingAutoencoder(ModelConfig config) : Autoencoder(std::move(config)) {
  check_noise(config_.noise, config_.noise_level);
}

torch::Tensor DenoisingAutoencoder::corrupt_input(const torch::Tensor& x) const {
  return corrupt(x, config_.noise, config_.noise_level, /*clip=*/bce());
}

// x: [B, D] -> scalar terms of reconstructing x from corrupt_input(x).
LossTerms DenoisingAutoencoder::losses(const torch::Tensor& x, const torch::Tensor& y) {
  return losses_from(corrupt_input(x), x, y);
}

}  // namespace latentkit
