// The variational autoencoder ("vae"); see vae.h.
#include "latentkit/models/vae.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "latentkit/error.h"
#include "latentkit/nn/blocks.h"

namespace latentkit {

namespace F = torch::nn::functional;

namespace {
const double kLog2Pi = std::log(2.0 * M_PI);
}

VAE::VAE(ModelConfig config)
    : Model(std::move(config)), bernoulli_(config_.likelihood == "bernoulli") {
  // The encoder emits mu and logvar side by side: [B, 2L].
  encoder_ = register_module("encoder", make_encoder(config_, 2 * config_.latent_dim));
  decoder_ = register_module("decoder", make_decoder(config_, config_.latent_dim));
  if (!bernoulli_ && config_.learn_sigma)
    log_sigma_ = register_parameter(
        "log_sigma", torch::full({config_.input_dim}, std::log(config_.sigma)));
}

// x: [B, D] -> mu, logvar: [B, L]
VAE::Posterior VAE::posterior(const torch::Tensor& x) {
  auto h = encoder_->forward(x).chunk(2, /*dim=*/1);
  return {h[0], h[1]};
}

// x: [B, D] -> [B, L]
torch::Tensor VAE::encode(const torch::Tensor& x, const torch::Tensor& y) {
  return posterior(x).mu;
}

// q, eps: [B, L] -> z: [B, L]. Writing z as a function of (mu, logvar) lets gradients flow
// through the sample.
torch::Tensor VAE::reparameterize(const Posterior& q, const torch::Tensor& eps) {
  return q.mu + torch::exp(0.5 * q.logvar) * eps;
}

// q: [B, L] each -> [B]
torch::Tensor VAE::kl_to_prior(const Posterior& q) {
  return -0.5 * (1 + q.logvar - q.mu.pow(2) - q.logvar.exp()).sum(1);
}

// z: [N, L] -> [N, D]
torch::Tensor VAE::decoder_logits_or_mean(const torch::Tensor& z) { return decoder_->forward(z); }

// z: [B, L] -> [B, D]
torch::Tensor VAE::decode(const torch::Tensor& z, const torch::Tensor& y) {
  auto out = decoder_logits_or_mean(z);
  return bernoulli_ ? torch::sigmoid(out) : out;
}

torch::Tensor VAE::log_sigma() const {
  if (bernoulli_) return {};
  if (log_sigma_.defined()) return log_sigma_;
  return torch::full({}, std::log(config_.sigma), encoder_->parameters().front().options());
}

// x, out: [N, D] -> [N]
torch::Tensor VAE::log_px_given_z(const torch::Tensor& x, const torch::Tensor& out) const {
  if (bernoulli_) {
    // log p(x|l) = -BCE(l, x) = -(max(l, 0) - l x + log1p(exp(-|l|))), stable for any logit.
    return -F::binary_cross_entropy_with_logits(
                out, x, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
                .sum(1);
  }
  // log N(x; m, s^2) = -1/2 log(2 pi) - log s - (x - m)^2 / (2 s^2), per dimension.
  if (log_sigma_.defined()) {
    auto inv_var = torch::exp(-2 * log_sigma_);  // [D]
    return -(0.5 * kLog2Pi + log_sigma_ + 0.5 * (x - out).pow(2) * inv_var).sum(1);
  }
  const double s = config_.sigma;
  const int64_t d = x.size(1);
  return -(0.5 * (x - out).pow(2).sum(1) / (s * s)) - d * (0.5 * kLog2Pi + std::log(s));
}

// x: [B, D], q: [B, L] each, eps: [B, L] -> scalar terms.
LossTerms VAE::terms(const torch::Tensor& x, const Posterior& q, const torch::Tensor& eps) {
  auto out = decoder_logits_or_mean(reparameterize(q, eps));  // [B, D]
  auto recon = -log_px_given_z(x, out).mean();
  auto kl = kl_to_prior(q).mean();
  return {{"loss", recon + config_.beta * kl},
          {"recon", recon},
          {"kl", kl},
          {"elbo", -(recon + kl)}};
}

// x: [B, D], eps: [B, L] -> scalar terms.
LossTerms VAE::losses_with_noise(const torch::Tensor& x, const torch::Tensor& eps) {
  return terms(x, posterior(x), eps);
}

// x: [B, D] -> scalar terms, one reparameterised sample per row.
LossTerms VAE::losses(const torch::Tensor& x, const torch::Tensor& y) {
  const Posterior q = posterior(x);
  return terms(x, q, torch::randn_like(q.mu));
}

// -> [n, D]
torch::Tensor VAE::sample(int64_t n, const torch::Tensor& y) {
  if (n < 0) fail("sample", "count must be >= 0");
  auto opts = encoder_->parameters().front().options();
  return decode(torch::randn({n, config_.latent_dim}, opts));
}

// x: [B, D] -> [B]. For z_i ~ q(z|x), i = 1..k:
//   log w_i = log p(x|z_i) + log N(z_i; 0, I) - log q(z_i|x),
//   result  = logsumexp_i log w_i - log k.
// Samples are processed in chunks of s (s * B decoder rows at most kIwaeChunkRows) and folded
// into a running logsumexp, so memory does not grow with k.
torch::Tensor VAE::log_likelihood(const torch::Tensor& x, int64_t k, const torch::Tensor& y) {
  if (k < 1) fail("k", "the number of importance samples must be >= 1 (got " + std::to_string(k) + ")");
  torch::NoGradGuard no_grad;
  const int64_t b = x.size(0), d = x.size(1), l = config_.latent_dim;
  const Posterior q = posterior(x);        // [B, L]
  const auto sd = torch::exp(0.5 * q.logvar);
  // log N(z; 0, I) - log q(z|x) with z = mu + sd * eps; the log(2 pi) terms cancel:
  //   = -1/2 sum_L (z^2 - eps^2 - logvar).
  const auto logvar_sum = q.logvar.sum(1);  // [B]
  const int64_t per_chunk =
      std::clamp<int64_t>(kIwaeChunkRows / std::max<int64_t>(b, 1), 1, kIwaeChunkSamples);

  auto acc = torch::full({b}, -std::numeric_limits<double>::infinity(), q.mu.options());
  for (int64_t done = 0; done < k;) {
    const int64_t s = std::min(per_chunk, k - done);
    auto eps = torch::randn({s, b, l}, q.mu.options());       // [s, B, L]
    auto z = q.mu.unsqueeze(0) + sd.unsqueeze(0) * eps;       // [s, B, L]
    auto out = decoder_logits_or_mean(z.reshape({s * b, l}));  // [s*B, D]
    auto xs = x.unsqueeze(0).expand({s, b, d}).reshape({s * b, d});
    auto log_px = log_px_given_z(xs, out).reshape({s, b});    // [s, B]
    auto log_ratio = -0.5 * ((z.pow(2) - eps.pow(2)).sum(2) - logvar_sum.unsqueeze(0));
    auto chunk = torch::logsumexp(log_px + log_ratio, /*dim=*/0);  // [B]
    acc = torch::logaddexp(acc, chunk);
    done += s;
  }
  return acc - std::log(static_cast<double>(k));
}

}  // namespace latentkit
