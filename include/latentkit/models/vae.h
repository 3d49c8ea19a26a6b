#pragma once
// The variational autoencoder ("vae"): a Gaussian posterior q(z|x) = N(mu, diag(exp(logvar))),
// a standard-normal prior, and a Bernoulli or Gaussian decoder p(x|z).
//   loss  = recon + w * kl, where recon = -log p(x|z) for one reparameterised z ~ q(z|x)
//           (summed over D) and kl = KL(q(z|x) || N(0, I)) in closed form, both batch means;
//   elbo  = -(recon + kl), whatever the weight w;
//   w     = beta, or with KL warm-up (kl_warmup_epochs = W > 0) the per-step schedule
//           w = beta * min(1, p / W), where p = set_training_progress()'s epochs done
//           (= beta * min(1, step / (W * batches_per_epoch))); the term "kl_weight" reports it.
//           A model not being trained (progress never set) uses w = beta.
//   log_likelihood(x, k) = the IWAE bound with k importance samples (a lower bound on log p(x)).
// Noise comes from the global generator, so the trainer's seed controls it.
// Subclasses: IWAE (iwae.h) changes the training objective; CVAE (cvae.h) conditions the encoder
// and decoder on labels through conditioning(); VampVAE (vamp.h) replaces the prior.
// Options: NetworkOptions (network.h) and VaeOptions.
#include <torch/nn/modules/container/sequential.h>

#include <limits>

#include "latentkit/models/model.h"
#include "latentkit/util/options.h"

namespace latentkit {

// The decoder p(x|z) of every VAE kind.
#define LATENTKIT_VAE_OPTIONS(X)                                                                     \
  X(std::string, likelihood, "bernoulli", "--likelihood",                                             \
    "Decoder p(x|z): bernoulli (data in [0, 1]) or gaussian; by default chosen by the data's scaling", \
    one_of({"bernoulli", "gaussian"}))                                                                \
  X(double, sigma, 1.0, "--sigma", "Standard deviation of the gaussian decoder (fixed)", above(0))     \
  X(bool, learn_sigma, false, "--learn-sigma", "Learn one log-sigma per dimension (gaussian decoder)", \
    any_value())

struct VaeOptions {
  LATENTKIT_VAE_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

// The weight of the KL term, for the kinds whose loss is recon + w * KL (not iwae).
#define LATENTKIT_KL_OPTIONS(X)                                                                       \
  X(double, beta, 1.0, "--beta", "Weight of the KL term", at_least(0))                                 \
  X(int64_t, kl_warmup_epochs, 0, "--kl-warmup",                                                      \
    "Epochs over which the KL weight rises linearly from 0 to beta (0: off)", between(0, 1e6))

struct KlOptions {
  LATENTKIT_KL_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

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
  // The KL weight w at the current training progress (see above); 1 for kinds without
  // KlOptions.
  double kl_weight() const;
  // Whether the weight follows a warm-up schedule (the terms then report "kl_weight").
  bool kl_warmup() const;

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
  //   log w: [k, B], log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x), z_i = mu + sd eps_i.
  // log_px, when given, receives the log p(x|z_i) part: [k, B].
  torch::Tensor log_weights(const torch::Tensor& x, const Posterior& q, const torch::Tensor& eps,
                            const torch::Tensor& y = {}, torch::Tensor* log_px = nullptr);
  // Gaussian decoder: the log standard deviation, [D] when learned, else a 0-dim tensor.
  // Undefined for the Bernoulli decoder.
  torch::Tensor log_sigma() const;
  bool bernoulli() const { return bernoulli_; }
  const VaeOptions& options() const { return config_.get<VaeOptions>(); }

  torch::nn::Sequential& encoder() { return encoder_; }
  torch::nn::Sequential& decoder() { return decoder_; }

  // The most decoder rows (samples x batch) one IWAE chunk evaluates, and the most samples.
  static constexpr int64_t kIwaeChunkRows = 4096;
  static constexpr int64_t kIwaeChunkSamples = 100;

 protected:
  // For conditional subclasses: the encoder gets `encoder_extra` and the decoder `decoder_extra`
  // more input columns (conditioning()'s output, appended); needs an MLP architecture when > 0.
  VAE(ModelConfig config, int64_t encoder_extra, int64_t decoder_extra);
  // The columns appended to the encoder's and decoder's inputs for labels y of `rows` rows:
  // [rows, C], or undefined (the plain VAE, which ignores y).
  virtual torch::Tensor conditioning(const torch::Tensor& y, int64_t rows) { return {}; }
  // The VAE's terms for one reparameterised sample: x: [B, D], q: [B, L] each, eps: [B, L].
  LossTerms terms(const torch::Tensor& x, const Posterior& q, const torch::Tensor& eps,
                  const torch::Tensor& y);
  // The per-sample KL term of the loss for z = mu + sd eps: [B, L] each -> [B]. Default: the
  // closed form KL(q || N(0, I)); priors without one estimate it from z.
  virtual torch::Tensor kl_term(const Posterior& q, const torch::Tensor& z, const torch::Tensor& eps);
  // log p(z) - log q(z|x) for z = mu + sd eps: z, eps: [k, B, L], q: [B, L] each -> [k, B]. With
  // the standard-normal prior the log(2 pi) terms cancel: -1/2 sum_L (z^2 - eps^2 - logvar).
  virtual torch::Tensor log_prior_ratio(const torch::Tensor& z, const torch::Tensor& eps, const Posterior& q);

 private:

  bool bernoulli_;  // likelihood == "bernoulli", else "gaussian"
  torch::nn::Sequential encoder_{nullptr}, decoder_{nullptr};
  torch::Tensor log_sigma_;  // [D] parameter when learn_sigma (gaussian only)
  double epochs_done_ = std::numeric_limits<double>::infinity();  // training progress
};

}  // namespace latentkit
