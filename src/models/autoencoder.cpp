// The plain autoencoder ("ae"); see autoencoder.h.
#include "latentkit/models/autoencoder.h"

#include <torch/torch.h>

#include "latentkit/nn/blocks.h"
#include "latentkit/nn/fused_mlp.h"

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
  if (uses_fused_forward(x)) return FusedMlp(encoder_).forward(x.contiguous());
  return encoder_->forward(x);
}

// z: [B, L] -> [B, D]
torch::Tensor Autoencoder::decoder_output(const torch::Tensor& z) { return decoder_->forward(z); }

// z: [B, L] -> [B, D] in data space.
torch::Tensor Autoencoder::decode(const torch::Tensor& z, const torch::Tensor& y) {
  auto out = uses_fused_forward(z) ? FusedMlp(decoder_).forward(z.contiguous()) : decoder_output(z);
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

torch::Tensor Autoencoder::reconstruction_error(const torch::Tensor& x, const torch::Tensor& y) {
  if (!uses_fused_forward(x)) return Model::reconstruction_error(x, y);
  const auto xc = x.contiguous();
  return squared_error_rows(FusedMlp(decoder_).forward(encode(xc)), xc, /*sigmoid=*/bce_);
}

bool Autoencoder::has_fused_step() const {
  // Variants (denoising, dropout) corrupt the input or add dropout modules.
  return config_.kind == "ae" && config_.architecture == "mlp" && config_.activation == "relu" &&
         FusedMlp::supports(encoder_) && FusedMlp::supports(decoder_);
}

LossTerms Autoencoder::train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) {
  if (uses_fused_step() && is_training() && x.device().is_cpu() && x.dim() == 2 &&
      x.scalar_type() == torch::kFloat32)
    return fused_train_step(x.contiguous(), opt);
  return Model::train_step(x, y, opt);
}

// One step of losses()'s objective with hand-written gradients (nn/fused_mlp.h).
LossTerms Autoencoder::fused_train_step(const torch::Tensor& x, Optimizers& opt) {
  torch::NoGradGuard no_grad;
  FusedMlp encoder(encoder_, fused_precision()), decoder(decoder_, fused_precision());
  const int64_t b = x.size(0);
  const torch::Tensor& out = decoder.forward(encoder.forward(x));  // [B, D]
  auto g = torch::empty_like(out);
  double recon_sum, squared_error;
  float g_scale;  // d(sum of recon)/dout = g_scale * g
  if (bce_) {
    recon_sum = bernoulli_nll_and_grad(out, x, g);  // g = sigmoid(out) - x
    squared_error = sum_of_squares(g);
    g_scale = 1.0f;
  } else {
    recon_sum = squared_error = squared_error_and_residual(out, x, g);  // g = out - x
    g_scale = 2.0f;
  }
  torch::Tensor dz;
  decoder.backward(g, g_scale / static_cast<float>(b), &dz);
  encoder.backward(dz, g_scale / static_cast<float>(b));
  for (auto& [name, o] : opt) o->step();

  auto scalar = [&](double v) { return torch::full({}, v, x.options()); };
  return {{"loss", scalar(recon_sum / b)}, {"recon", scalar(recon_sum / b)},
          {"mse", scalar(squared_error / b)}};
}

}  // namespace latentkit
