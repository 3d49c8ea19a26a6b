// The plain autoencoder ("ae"); see autoencoder.h.
#include "latentkit/models/autoencoder.h"

#include <torch/torch.h>

#include "latentkit/nn/blocks.h"

namespace latentkit {

namespace F = torch::nn::functional;

Autoencoder::Autoencoder(ModelConfig config) : Autoencoder(std::move(config), 0.0) {}

Autoencoder::Autoencoder(ModelConfig config, double dropout)
    : Model(std::move(config)), bce_(config_.likelihood == "bce") {
  encoder_ = register_module("encoder", make_encoder(config_, config_.latent_dim, dropout));
  decoder_ = register_module("decoder", make_decoder(config_, config_.latent_dim, dropout));
}

// x: [B, D] -> z: [B, L]
torch::Tensor Autoencoder::encode(const torch::Tensor& x, const torch::Tensor& y) {
  return encoder_->forward(x);
}

// z: [B, L] -> [B, D]
torch::Tensor Autoencoder::decoder_output(const torch::Tensor& z) { return decoder_->forward(z); }

// z: [B, L] -> [B, D] in data space.
torch::Tensor Autoencoder::decode(const torch::Tensor& z, const torch::Tensor& y) {
  auto out = decoder_output(z);
  return bce_ ? torch::sigmoid(out) : out;
}

// x: [B, D], out: [B, D] -> [B]. BCE works on logits, which is stable where sigmoid saturates.
torch::Tensor Autoencoder::recon_loss(const torch::Tensor& x, const torch::Tensor& out) const {
  if (bce_)
    return F::binary_cross_entropy_with_logits(
               out, x, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
        .sum(1);
  return (out - x).pow(2).sum(1);
}

// x: [B, D] -> scalar terms.
LossTerms Autoencoder::losses(const torch::Tensor& x, const torch::Tensor& y) {
  return losses_from(x, x, y);
}

// input, target: [B, D] -> scalar terms of reconstructing target from input.
LossTerms Autoencoder::losses_from(const torch::Tensor& input, const torch::Tensor& x,
                                   const torch::Tensor& y) {
  auto out = decoder_output(encode(input, y));  // [B, D]
  auto recon = recon_loss(x, out).mean();
  auto xhat = bce_ ? torch::sigmoid(out.detach()) : out.detach();
  auto mse = (xhat - x).pow(2).sum(1).mean();
  return {{"loss", recon}, {"recon", recon.detach()}, {"mse", mse}};
}

}  // namespace latentkit
