// The variational autoencoder ("vae"); see vae.h.
#include "latentkit/models/vae.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "latentkit/error.h"
#include "latentkit/nn/blocks.h"
#include "latentkit/nn/fused_mlp.h"

namespace latentkit {

namespace F = torch::nn::functional;

namespace {
const double kLog2Pi = std::log(2.0 * M_PI);
}

VAE::VAE(ModelConfig config) : VAE(std::move(config), 0, 0) {}

VAE::VAE(ModelConfig config, int64_t encoder_extra, int64_t decoder_extra)
    : Model(std::move(config)), bernoulli_(config_.likelihood == "bernoulli") {
  // The encoder emits mu and logvar side by side: [B, 2L]. Extra (conditioning) columns widen
  // the first layer of the MLP encoder and decoder.
  ModelConfig enc = config_;
  enc.input_dim += encoder_extra;
  encoder_ = register_module("encoder", make_encoder(enc, 2 * config_.latent_dim));
  decoder_ = register_module("decoder",
                             make_decoder(config_, config_.latent_dim + decoder_extra));
  if (!bernoulli_ && config_.learn_sigma)
    log_sigma_ = register_parameter(
        "log_sigma", torch::full({config_.input_dim}, std::log(config_.sigma)));
}

// x: [B, D] -> mu, logvar: [B, L]
VAE::Posterior VAE::posterior(const torch::Tensor& x, const torch::Tensor& y) {
  // Labels are per row here (only the decoder's IWAE chunks tile them over samples).
  if (y.defined() && (y.dim() != 1 || y.size(0) != x.size(0)))
    fail("labels", "expected " + std::to_string(x.size(0)) + " labels, got shape " +
                       c10::str(y.sizes()));
  auto c = conditioning(y, x.size(0));
  auto h = encoder_->forward(c.defined() ? torch::cat({x, c}, 1) : x).chunk(2, /*dim=*/1);
  return {h[0], h[1]};
}

// x: [B, D] -> [B, L]
torch::Tensor VAE::encode(const torch::Tensor& x, const torch::Tensor& y) {
  if (uses_fused_forward(x))
    return FusedMlp(encoder_).forward(x.contiguous()).narrow(1, 0, config_.latent_dim);
  return posterior(x, y).mu;
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
torch::Tensor VAE::decoder_logits_or_mean(const torch::Tensor& z, const torch::Tensor& y) {
  auto c = conditioning(y, z.size(0));
  return decoder_->forward(c.defined() ? torch::cat({z, c}, 1) : z);
}

// z: [B, L] -> [B, D]
torch::Tensor VAE::decode(const torch::Tensor& z, const torch::Tensor& y) {
  auto out = uses_fused_forward(z) ? FusedMlp(decoder_).forward(z.contiguous())
                                   : decoder_logits_or_mean(z, y);
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

double VAE::kl_weight() const {
  if (config_.kl_warmup_epochs <= 0) return config_.beta;
  return config_.beta * std::min(1.0, epochs_done_ / static_cast<double>(config_.kl_warmup_epochs));
}

// x: [B, D], q: [B, L] each, eps: [B, L] -> scalar terms.
LossTerms VAE::terms(const torch::Tensor& x, const Posterior& q, const torch::Tensor& eps,
                     const torch::Tensor& y) {
  auto out = decoder_logits_or_mean(reparameterize(q, eps), y);  // [B, D]
  auto recon = -log_px_given_z(x, out).mean();
  auto kl = kl_to_prior(q).mean();
  const double w = kl_weight();
  LossTerms t{{"loss", recon + w * kl}, {"recon", recon}, {"kl", kl}, {"elbo", -(recon + kl)}};
  if (config_.kl_warmup_epochs > 0) t["kl_weight"] = torch::full({}, w, recon.options());
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
  return terms(x, q, torch::randn_like(q.mu), y);
}

bool VAE::has_fused_step() const {
  // Subclasses (IWAE, CVAE) change the objective or the networks' inputs.
  return config_.kind == "vae" && config_.architecture == "mlp" && config_.activation == "relu" &&
         (bernoulli_ || !log_sigma_.defined()) && FusedMlp::supports(encoder_) &&
         FusedMlp::supports(decoder_);
}

LossTerms VAE::train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) {
  if (uses_fused_step() && is_training() && x.device().is_cpu() && x.dim() == 2 &&
      x.scalar_type() == torch::kFloat32)
    return fused_train_step(x.contiguous(), opt);
  return Model::train_step(x, y, opt);
}

// One step of losses()'s objective with hand-written gradients. With S = sum over the batch
// of recon_i + w kl_i (the loss is S / B), z = mu + sd eps, sd = exp(logvar / 2):
//   dS/dmu = dS/dz + w mu,   dS/dlogvar = dS/dz eps sd / 2 + w (sd^2 - 1) / 2,
// and the decoder's and encoder's backward passes carry the rest (nn/fused_mlp.h).
LossTerms VAE::fused_train_step(const torch::Tensor& x, Optimizers& opt) {
  torch::NoGradGuard no_grad;
  // Views of the networks' parameters (cheap to build), holding this step's activations.
  FusedMlp encoder(encoder_, fused_precision()), decoder(decoder_, fused_precision());
  const int64_t b = x.size(0), l = config_.latent_dim;
  const torch::Tensor& h = encoder.forward(x);  // [B, 2L]: mu | logvar
  const auto eps = torch::randn({b, l}, x.options());   // as losses() draws it
  auto z = torch::empty({b, l}, x.options());
  auto sd = torch::empty({b, l}, x.options());  // exp(logvar / 2), kept for the backward loop
  const float* hp = h.data_ptr<float>();
  const float* ep = eps.data_ptr<float>();
  float* zp = z.data_ptr<float>();
  float* sp = sd.data_ptr<float>();
  double kl_sum = 0.0;
  for (int64_t i = 0; i < b; ++i)
    for (int64_t j = 0; j < l; ++j) {
      const float mu = hp[i * 2 * l + j], logvar = hp[i * 2 * l + l + j];
      const float s = sp[i * l + j] = std::exp(0.5f * logvar);
      zp[i * l + j] = mu + s * ep[i * l + j];
      kl_sum += -0.5 * (1.0 + logvar - double(mu) * mu - double(s) * s);
    }

  const torch::Tensor& out = decoder.forward(z);  // [B, D]
  auto g = torch::empty_like(out);
  double recon_sum;
  float g_scale;  // dS/dout = g_scale * g
  if (bernoulli_) {
    recon_sum = bernoulli_nll_and_grad(out, x, g);
    g_scale = 1.0f;
  } else {
    // -log N(x; out, s^2) per pixel = (x - out)^2 / (2 s^2) + log(2 pi) / 2 + log s
    const double s = config_.sigma;
    recon_sum = 0.5 * squared_error_and_residual(out, x, g) / (s * s) +
                static_cast<double>(b) * out.size(1) * (0.5 * kLog2Pi + std::log(s));
    g_scale = static_cast<float>(1.0 / (s * s));
  }
  const float inv_b = 1.0f / static_cast<float>(b);
  torch::Tensor dz;  // d(sum g . out)/dz: [B, L]
  decoder.backward(g, g_scale * inv_b, &dz);

  const double w = kl_weight();
  const float wf = static_cast<float>(w);
  auto dh = torch::empty_like(h);  // dS/d(mu | logvar)
  const float* dzp = dz.data_ptr<float>();
  float* dhp = dh.data_ptr<float>();
  for (int64_t i = 0; i < b; ++i)
    for (int64_t j = 0; j < l; ++j) {
      const float mu = hp[i * 2 * l + j], s = sp[i * l + j];
      const float dzv = g_scale * dzp[i * l + j];
      dhp[i * 2 * l + j] = dzv + wf * mu;
      dhp[i * 2 * l + l + j] = 0.5f * dzv * ep[i * l + j] * s + 0.5f * wf * (s * s - 1.0f);
    }
  encoder.backward(dh, inv_b);
  for (auto& [name, o] : opt) o->step();

  const double recon = recon_sum / b, kl = kl_sum / b;
  auto scalar = [&](double v) { return torch::full({}, v, x.options()); };
  LossTerms t{{"loss", scalar(recon + w * kl)}, {"recon", scalar(recon)}, {"kl", scalar(kl)},
              {"elbo", scalar(-(recon + kl))}};
  if (config_.kl_warmup_epochs > 0) t["kl_weight"] = scalar(w);
  return t;
}

torch::Tensor VAE::reconstruction_error(const torch::Tensor& x, const torch::Tensor& y) {
  if (!uses_fused_forward(x)) return Model::reconstruction_error(x, y);
  const auto xc = x.contiguous();
  const auto z = encode(xc).contiguous();
  return squared_error_rows(FusedMlp(decoder_).forward(z), xc, /*sigmoid=*/bernoulli_);
}

// -> [n, D]
torch::Tensor VAE::sample(int64_t n, const torch::Tensor& y) {
  if (n < 0) fail("sample", "count must be >= 0");
  auto opts = encoder_->parameters().front().options();
  return decode(torch::randn({n, config_.latent_dim}, opts), y);
}

// x: [B, D], q: [B, L] each, eps: [k, B, L] -> [k, B]. With z = mu + sd * eps the log(2 pi)
// terms of log N(z; 0, I) - log q(z|x) cancel: it equals -1/2 sum_L (z^2 - eps^2 - logvar).
torch::Tensor VAE::log_weights(const torch::Tensor& x, const Posterior& q, const torch::Tensor& eps,
                               const torch::Tensor& y, torch::Tensor* log_px) {
  const int64_t s = eps.size(0), b = x.size(0), d = x.size(1), l = eps.size(2);
  auto z = q.mu.unsqueeze(0) + torch::exp(0.5 * q.logvar).unsqueeze(0) * eps;  // [k, B, L]
  auto out = decoder_logits_or_mean(z.reshape({s * b, l}), y);                // [k*B, D]
  auto xs = x.unsqueeze(0).expand({s, b, d}).reshape({s * b, d});
  auto lpx = log_px_given_z(xs, out).reshape({s, b});                           // [k, B]
  auto log_ratio = -0.5 * ((z.pow(2) - eps.pow(2)).sum(2) - q.logvar.sum(1).unsqueeze(0));
  if (log_px) *log_px = lpx;
  return lpx + log_ratio;
}

// x: [B, D] -> [B]: logsumexp_i log w_i - log k over z_i ~ q(z|x), i = 1..k.
// Samples are processed in chunks of s (s * B decoder rows at most kIwaeChunkRows) and folded
// into a running logsumexp, so memory does not grow with k.
torch::Tensor VAE::log_likelihood(const torch::Tensor& x, int64_t k, const torch::Tensor& y) {
  if (k < 1) fail("k", "the number of importance samples must be >= 1 (got " + std::to_string(k) + ")");
  torch::NoGradGuard no_grad;
  const int64_t b = x.size(0), l = config_.latent_dim;
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
