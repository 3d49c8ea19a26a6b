#pragma once
// The adversarial autoencoder ("aae", Makhzani et al. 2016): the plain autoencoder's encoder and
// decoder (autoencoder.h), and a discriminator D: [B, L] -> [B] logits, an MLP of
// disc_hidden leaky-ReLU layers, that tells codes drawn from the prior p(z) (real) from
// the encoder's codes of data (fake). Each training batch takes three steps, each with its own
// Adam optimizer (parameter groups "autoencoder", "discriminator", "generator"):
//   1. reconstruction: encoder and decoder on the reconstruction loss, at --lr;
//   2. discriminator: D on discriminator_loss(D(z ~ p), D(encode(x))), at --lr * disc_lr_scale;
//   3. generator: the encoder on generator_loss(D(encode(x))), at --lr * gen_lr_scale,
// which pushes the aggregate posterior q(z) toward p(z). sample() decodes prior draws.
// Terms: "loss" = "recon" (the autoencoder's), "mse", "disc_loss", "disc_acc", "gen_loss"; in
// evaluation also "mmd", the unbiased MMD^2 (eval/mmd.h) between the batch's codes and as many
// prior draws, which falls as the codes come to follow the prior.
#include "latentkit/models/autoencoder.h"
#include "latentkit/models/latent_prior.h"

namespace latentkit {

#define LATENTKIT_ADVERSARIAL_OPTIONS(X)                                                              \
  X(std::string, prior, "gaussian", "--prior",                                                         \
    "Prior of the codes: gaussian, uniform (the box [-2, 2]^L) or mixture[:K] (K Gaussians on a "      \
    "circle; needs --latent 2)", one_of({"gaussian", "mixture", "uniform"}))                           \
  X(int64_t, prior_components, 10, "", "Components of the mixture prior (set by --prior mixture:K)",   \
    between(1, 1e5))                                                                                   \
  X(Widths, disc_hidden, (Widths{500, 500}), "--disc-hidden", "Hidden widths of the discriminator",    \
    widths())                                                                                          \
  X(double, disc_lr_scale, 0.5, "--disc-lr-scale", "Discriminator learning rate as a multiple of --lr", \
    above(0))                                                                                          \
  X(double, gen_lr_scale, 0.5, "--gen-lr-scale",                                                       \
    "Generator (encoder against the discriminator) learning rate as a multiple of --lr", above(0))

struct AdversarialOptions {
  LATENTKIT_ADVERSARIAL_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

// The discriminator's loss, binary cross-entropy with real labelled 1 and fake 0, averaged over
// all 2B logits: real, fake: [B] -> 0-dim,
//   (mean_i -log sigmoid(real_i) + mean_i -log(1 - sigmoid(fake_i))) / 2.
torch::Tensor discriminator_loss(const torch::Tensor& real_logits, const torch::Tensor& fake_logits);
// The non-saturating generator loss: fake: [B] -> 0-dim, mean_i -log sigmoid(fake_i).
torch::Tensor generator_loss(const torch::Tensor& fake_logits);
// The fraction of the 2B codes the discriminator labels right (logit > 0 means real).
torch::Tensor discriminator_accuracy(const torch::Tensor& real_logits, const torch::Tensor& fake_logits);

class AdversarialAutoencoder : public Autoencoder {
 public:
  explicit AdversarialAutoencoder(ModelConfig config);
  // The checks across families: the mixture prior needs a 2-D latent.
  static void check_config(const ModelConfig& config);

  // -> [n, D], decode(z) for z ~ p(z).
  torch::Tensor sample(int64_t n, const torch::Tensor& y = {}) override;
  // x: [B, D] -> every term above, from one draw of prior codes.
  LossTerms losses(const torch::Tensor& x, const torch::Tensor& y = {}) override;
  std::vector<ParamGroup> param_groups() override;
  LossTerms train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) override;

  // z: [B, L] -> [B] logits of "drawn from the prior".
  torch::Tensor discriminate(const torch::Tensor& z);
  const LatentPrior& prior() const { return prior_; }

 private:
  LatentPrior prior_;
  torch::nn::Sequential discriminator_{nullptr};
};

}  // namespace latentkit
