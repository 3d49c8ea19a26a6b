// The plain autoencoder ("ae"); see autoencoder.h.
#include "latentkit/models/autoencoder.h"

#include <torch/torch.h>

#include "latentkit/models/network.h"
#include "latentkit/nn/fused_mlp.h"

namespace latentkit {

namespace F = torch::nn::functional;

const OptionTable& ReconstructionOptions::table() {
  using Self = ReconstructionOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("reconstruction", "Reconstruction loss",
                                   {LATENTKIT_RECONSTRUCTION_OPTIONS(LATENTKIT_OPTION_SPEC)});
    t.data_default<Self>("loss", [](Self& o, bool unit) { o.loss = unit ? "bce" : "mse"; });
    return t;
  }();
  return table;
}

// x, out: [B, D] -> [B]. BCE works on logits, which is stable where sigmoid saturates.
torch::Tensor reconstruction_loss(const torch::Tensor& x, const torch::Tensor& out, bool bce) {
  if (bce)
    return F::binary_cross_entropy_with_logits(out, x, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
        .sum(1);
  return (out - x).pow(2).sum(1);
}

Autoencoder::Autoencoder(ModelConfig config) : Autoencoder(std::move(config), 0.0) {}

Autoencoder::Autoencoder(ModelConfig config, double dropout)
    : Model(config, config.get<NetworkOptions>().latent_dim),
      bce_(config_.get<ReconstructionOptions>().loss == "bce") {
  encoder_ = register_module("encoder", make_encoder(config_, latent_dim(), 0, dropout));
  decoder_ = register_module("decoder", make_decoder(config_, latent_dim(), dropout));
}

// x: [B, D] -> z: [B, L]
torch::Tensor Autoencoder::encode(const torch::Tensor& x, const torch::Tensor& y) { return run_network(encoder_, x); }

// z: [B, L] -> [B, D]
torch::Tensor Autoencoder::decoder_output(const torch::Tensor& z) { return run_network(decoder_, z); }

// z: [B, L] -> [B, D] in data space.
torch::Tensor Autoencoder::decode(const torch::Tensor& z, const torch::Tensor& y) {
  auto out = decoder_output(z);
  return bce_ ? torch::sigmoid(out) : out;
}

// x: [B, D], out: [B, D] -> [B]
torch::Tensor Autoencoder::recon_loss(const torch::Tensor& x, const torch::Tensor& out) const {
  return reconstruction_loss(x, out, bce_);
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
