// The variational autoencoder ("vae"); see vae.h.
#include "latentkit/models/vae.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "latentkit/error.h"
#include "latentkit/models/network.h"
#include "latentkit/nn/fused_mlp.h"
#include "latentkit/util/batch_shard.h"

namespace latentkit {

namespace F = torch::nn::functional;

namespace {
const double kLog2Pi = std::log(2.0 * M_PI);
}

const OptionTable& VaeOptions::table() {
  using Self = VaeOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("vae", "VAE decoder", {LATENTKIT_VAE_OPTIONS(LATENTKIT_OPTION_SPEC)});
    t.data_default<Self>("likelihood", [](Self& o, bool unit) { o.likelihood = unit ? "bernoulli" : "gaussian"; });
    return t;
  }();
  return table;
}

const OptionTable& KlOptions::table() {
  using Self = KlOptions;
  static const OptionTable table =
      OptionTable::of<Self>("kl", "KL weight", {LATENTKIT_KL_OPTIONS(LATENTKIT_OPTION_SPEC)});
  return table;
}

VAE::VAE(ModelConfig config) : VAE(std::move(config), 0, 0) {}

VAE::VAE(ModelConfig config, int64_t encoder_extra, int64_t decoder_extra)
    : Model(config, config.get<NetworkOptions>().latent_dim),
      bernoulli_(options().likelihood == "bernoulli") {
  // The encoder emits mu and logvar side by side: [B, 2L]. Extra (conditioning) columns widen
  // the first layer of the MLP encoder and decoder.
  const int64_t l = latent_dim();
  encoder_ = register_module("encoder", make_encoder(config_, 2 * l, encoder_extra));
  decoder_ = register_module("decoder", make_decoder(config_, l + decoder_extra));
  if (!bernoulli_ && options().learn_sigma)
    log_sigma_ = register_parameter("log_sigma", torch::full({config_.input_dim}, std::log(options().sigma)));
}

// x: [B, D] -> mu, logvar: [B, L]
VAE::Posterior VAE::posterior(const torch::Tensor& x, const torch::Tensor& y) {
  // Labels are per row here (only the decoder's IWAE chunks tile them over samples).
  if (y.defined() && (y.dim() != 1 || y.size(0) != x.size(0)))
    fail("labels", "expected " + std::to_string(x.size(0)) + " labels, got shape " +
                       c10::str(y.sizes()));
  auto c = conditioning(y, x.size(0));
  auto h = run_network(encoder_, c.defined() ? torch::cat({x, c}, 1) : x).chunk(2, /*dim=*/1);
  return {h[0], h[1]};
}

// x: [B, D] -> [B, L]
torch::Tensor VAE::encode(const torch::Tensor& x, const torch::Tensor& y) { return posterior(x, y).mu; }

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
torch::Tensor VAE::decoder_logits_or_mean(const torch::Tensor& z, const torch::Tensor& y) {
  auto c = conditioning(y, z.size(0));
  return run_network(decoder_, c.defined() ? torch::cat({z, c}, 1) : z);
}

// z: [B, L] -> [B, D]
torch::Tensor VAE::decode(const torch::Tensor& z, const torch::Tensor& y) {
  auto out = decoder_logits_or_mean(z, y);
  return bernoulli_ ? torch::sigmoid(out) : out;
}

torch::Tensor VAE::log_sigma() const {
  if (bernoulli_) return {};
  if (log_sigma_.defined()) return log_sigma_;
  return torch::full({}, std::log(options().sigma), encoder_->parameters().front().options());
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
  const double s = options().sigma;
  const int64_t d = x.size(1);
  return -(0.5 * (x - out).pow(2).sum(1) / (s * s)) - d * (0.5 * kLog2Pi + std::log(s));
}

double VAE::kl_weight() const {
  const KlOptions* o = config_.options.find<KlOptions>();
  if (!o) return 1.0;
  if (o->kl_warmup_epochs <= 0) return o->beta;
  return o->beta * std::min(1.0, epochs_done_ / static_cast<double>(o->kl_warmup_epochs));
}

bool VAE::kl_warmup() const {
  const KlOptions* o = config_.options.find<KlOptions>();
  return o && o->kl_warmup_epochs > 0;
}

// q, z, eps: [B, L] -> [B]
torch::Tensor VAE::kl_term(const Posterior& q, const torch::Tensor& z, const torch::Tensor& eps) {
  return kl_to_prior(q);
}

// z, eps: [k, B, L] -> [k, B]
torch::Tensor VAE::log_prior_ratio(const torch::Tensor& z, const torch::Tensor& eps, const Posterior& q) {
  return -0.5 * ((z.pow(2) - eps.pow(2)).sum(2) - q.logvar.sum(1).unsqueeze(0));
}

// x: [B, D], q: [B, L] each, eps: [B, L] -> scalar terms.
LossTerms VAE::terms(const torch::Tensor& x, const Posterior& q, const torch::Tensor& eps,
                     const torch::Tensor& y) {
  auto z = reparameterize(q, eps);                       // [B, L]
  auto out = decoder_logits_or_mean(z, y);               // [B, D]
  auto recon = -log_px_given_z(x, out).mean();
  auto kl = kl_term(q, z, eps).mean();
  const double w = kl_weight();
  LossTerms t{{"loss", recon + w * kl}, {"recon", recon}, {"kl", kl}, {"elbo", -(recon + kl)}};
  if (kl_warmup()) t["kl_weight"] = torch::full({}, w, recon.options());
  return t;
}

// x: [B, D], eps: [B, L] -> scalar terms.
LossTerms VAE::losses_with_noise(const torch::Tensor& x, const torch::Tensor& eps,
                                 const torch::Tensor& y) {
  return terms(x, posterior(x, y), eps, y);
}

// x: [B, D] -> scalar terms, one reparameterised sample per row.
LossTerms VAE::losses(const torch::Tensor& x, const torch::Tensor& y) {
  const Posterior q = posterior(x, y);
  return terms(x, q, batch_randn_like(q.mu), y);
}

// -> [n, D]
torch::Tensor VAE::sample(int64_t n, const torch::Tensor& y) {
  if (n < 0) fail("sample", "count must be >= 0");
  auto opts = encoder_->parameters().front().options();
  return decode(torch::randn({n, latent_dim()}, opts), y);
}

// x: [B, D], q: [B, L] each, eps: [k, B, L] -> [k, B].
torch::Tensor VAE::log_weights(const torch::Tensor& x, const Posterior& q, const torch::Tensor& eps,
                               const torch::Tensor& y, torch::Tensor* log_px) {
  const int64_t s = eps.size(0), b = x.size(0), d = x.size(1), l = eps.size(2);
  auto z = q.mu.unsqueeze(0) + torch::exp(0.5 * q.logvar).unsqueeze(0) * eps;  // [k, B, L]
  auto out = decoder_logits_or_mean(z.reshape({s * b, l}), y);                // [k*B, D]
  auto xs = x.unsqueeze(0).expand({s, b, d}).reshape({s * b, d});
  auto lpx = log_px_given_z(xs, out).reshape({s, b});                           // [k, B]
  if (log_px) *log_px = lpx;
  return lpx + log_prior_ratio(z, eps, q);
}

// x: [B, D] -> [B]: logsumexp_i log w_i - log k over z_i ~ q(z|x), i = 1..k.
// Samples are processed in chunks of s (s * B decoder rows at most kIwaeChunkRows) and folded
// into a running logsumexp, so memory does not grow with k.
torch::Tensor VAE::log_likelihood(const torch::Tensor& x, int64_t k, const torch::Tensor& y) {
  if (k < 1) fail("k", "the number of importance samples must be >= 1 (got " + std::to_string(k) + ")");
  torch::NoGradGuard no_grad;
  const int64_t b = x.size(0), l = latent_dim();
  const Posterior q = posterior(x, y);  // [B, L]
  const int64_t per_chunk =
      std::clamp<int64_t>(kIwaeChunkRows / std::max<int64_t>(b, 1), 1, kIwaeChunkSamples);

  auto acc = torch::full({b}, -std::numeric_limits<double>::infinity(), q.mu.options());
  for (int64_t done = 0; done < k;) {
    const int64_t s = std::min(per_chunk, k - done);
    auto eps = torch::randn({s, b, l}, q.mu.options());  // [s, B, L]
    acc = torch::logaddexp(acc, torch::logsumexp(log_weights(x, q, eps, y), /*dim=*/0));
    done += s;
  }
  return acc - std::log(static_cast<double>(k));
}

}  // namespace latentkit
