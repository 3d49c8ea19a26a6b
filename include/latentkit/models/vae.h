#pragma once
// The variational autoencoder ("vae"): a Gaussian posterior q(z|x) = N(mu, diag(exp(logvar))),
// a standard-normal prior, and a Bernoulli or Gaussian decoder p(x|z).
//   loss  = recon + w * kl, where recon = -log p(x|z) for one reparameterised z ~ q(z|x)
//           (summed over D) and kl = KL(q(z|x) || N(0, I)) in closed form, both batch means;
//   elbo  = -(recon + kl), whatever the weight w;
//   w     = beta, or with KL warm-up (config.kl_warmup_epochs = W > 0) the per-step schedule
//           w = beta * min(1, p / W), where p = set_training_progress()'s epochs done
//           (= beta * min(1, step / (W * batches_per_epoch))); the term "kl_weight" reports it.
//           A model not being trained (progress never set) uses w = beta.
//   log_likelihood(x, k) = the IWAE bound with k importance samples (a lower bound on log p(x)).
// Noise comes from the global generator, so the trainer's seed controls it.
// Subclasses: IWAE (iwae.h) changes the training objective; CVAE (cvae.h) conditions the encoder
// and decoder on labels through conditioning().
#include <torch/nn/modules/container/sequential.h>

#include <limits>

#include "latentkit/models/model.h"

namespace latentkit {

class VAE : public Model {
 public:
  // The approximate posterior of a batch: mu, logvar: [B, L].
  struct Posterior {
    torch::Tensor mu, logvar;
  };

  explicit VAE(ModelConfig config);

  // x: [B, D] -> mu: [B, L]. (y: labels, used only by conditional subclasses.)
  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& y = {}) override;
  // z: [B, L] -> [B, D]: Bernoulli probabilities sigmoid(logits), or the Gaussian mean.
  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& y = {}) override;
  // -> [n, D], decode(z) for z ~ N(0, I).
  torch::Tensor sample(int64_t n, const torch::Tensor& y = {}) override;
  // x: [B, D] -> {"loss", "recon", "kl", "elbo"}, with eps ~ N(0, I) drawn here.
  LossTerms losses(const torch::Tensor& x, const torch::Tensor& y = {}) override;
  // The same with the reparameterisation noise given. x: [B, D], eps: [B, L] (the first
  // dimension may also be [k, B, L] for subclasses with k samples, e.g. IWAE).
  virtual LossTerms losses_with_noise(const torch::Tensor& x, const torch::Tensor& eps,
                                      const torch::Tensor& y = {});

  void set_training_progress(double epochs_done) override { epochs_done_ = epochs_done; }
  // The KL weight w at the current training progress (see above).
  double kl_weight() const;

  bool has_log_likelihood() const override { return true; }
  bool log_likelihood_is_bound() const override { return true; }
  // x: [B, D] -> [B], the IWAE estimate logsumexp_i(log w_i) - log k with k >= 1 samples,
  // drawn in chunks so memory stays bounded for large k * B. Runs without autograd.
  torch::Tensor log_likelihood(const torch::Tensor& x, int64_t k,
                               const torch::Tensor& y = {}) override;

  // x: [B, D] -> q(z|x): the encoder's [B, 2L] output split into mu and logvar.
  Posterior posterior(const torch::Tensor& x, const torch::Tensor& y = {});
  // q, eps: [B, L] -> z = mu + exp(logvar / 2) * eps: [B, L]
  static torch::Tensor reparameterize(const Posterior& q, const torch::Tensor& eps);
  // q -> [B], KL(q || N(0, I)) = -1/2 sum_L (1 + logvar - mu^2 - exp(logvar)).
  static torch::Tensor kl_to_prior(const Posterior& q);
  // z: [N, L] -> [N, D], the decoder's raw output: Bernoulli logits or the Gaussian mean.
  torch::Tensor decoder_logits_or_mean(const torch::Tensor& z, const torch::Tensor& y = {});
  // x: [N, D], out: [N, D] from decoder_logits_or_mean -> [N], log p(x|z) summed over D
  // (including the -1/2 log(2 pi) constants for the Gaussian decoder).
  torch::Tensor log_px_given_z(const torch::Tensor& x, const torch::Tensor& out) const;
  // The importance log-weights of k samples per row, with gradients (used by log_likelihood and
  // by IWAE's objective): x: [B, D], q: [B, L] each, eps: [k, B, L] ->
  //   log w: [k, B], log w_i = log p(x|z_i) + log N(z_i; 0, I) - log q(z_i|x), z_i = mu + sd eps_i.
  // log_px, when given, receives the log p(x|z_i) part: [k, B].
  torch::Tensor log_weights(const torch::Tensor& x, const Posterior& q, const torch::Tensor& eps,
                            const torch::Tensor& y = {}, torch::Tensor* log_px = nullptr);
  // Gaussian decoder: the log standard deviation, [D] when learned, else a 0-dim tensor.
  // Undefined for the Bernoulli decoder.
  torch::Tensor log_sigma() const;

  // The plain VAE with MLP networks, ReLU and a Bernoulli or fixed-sigma Gaussian decoder takes
  // a fused step (model.h): the same loss, gradients and noise draws as autograd's step.
  LossTerms train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) override;
  // x: [B, D] -> [B], squared error of decode(encode(x)); fused where encode() is.
  torch::Tensor reconstruction_error(const torch::Tensor& x, const torch::Tensor& y = {}) override;

  torch::nn::Sequential& encoder() { return encoder_; }
  torch::nn::Sequential& decoder() { return decoder_; }

  // The most decoder rows (samples x batch) one IWAE chunk evaluates, and the most samples.
  static constexpr int64_t kIwaeChunkRows = 4096;
  static constexpr int64_t kIwaeChunkSamples = 100;

 protected:
  bool has_fused_step() const override;
  // For conditional subclasses: the encoder gets `encoder_extra` and the decoder `decoder_extra`
  // more input columns (conditioning()'s output, appended); needs an MLP architecture when > 0.
  VAE(ModelConfig config, int64_t encoder_extra, int64_t decoder_extra);
  // The columns appended to the encoder's and decoder's inputs for labels y of `rows` rows:
  // [rows, C], or undefined (the plain VAE, which ignores y).
  virtual torch::Tensor conditioning(const torch::Tensor& y, int64_t rows) { return {}; }
  // The VAE's terms for one reparameterised sample: x: [B, D], q: [B, L] each, eps: [B, L].
  LossTerms terms(const torch::Tensor& x, const Posterior& q, const torch::Tensor& eps,
                  const torch::Tensor& y);

 private:
  LossTerms fused_train_step(const torch::Tensor& x, Optimizers& opt);

  bool bernoulli_;  // likelihood == "bernoulli", else "gaussian"
  torch::nn::Sequential encoder_{nullptr}, decoder_{nullptr};
  torch::Tensor log_sigma_;  // [D] parameter when config.learn_sigma (gaussian only)
  double epochs_done_ = std::numeric_limits<double>::infinity();  // training progress
};

}  // namespace latentkit
