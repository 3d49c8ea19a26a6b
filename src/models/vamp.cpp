// The VAE with a VampPrior; see vamp.h.
#include "latentkit/models/vamp.h"

#include <torch/torch.h>

#include <cmath>

#include "latentkit/error.h"
#include "latentkit/util/batch_shard.h"
#include "latentkit/models/model_size.h"

namespace latentkit {

const OptionTable& VampOptions::table() {
  using Self = VampOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("vamp", "VampPrior", {LATENTKIT_VAMP_OPTIONS(LATENTKIT_OPTION_SPEC)});
    t.check<Self, ModelConfig>([](const Self& o, const ModelConfig* c) {
      if (c) require_parameters_fit("--pseudo-inputs", double(o.pseudo_inputs) * double(c->input_dim));
    });
    return t;
  }();
  return table;
}

namespace {

// eps, logvar: [..., L] -> [...], log q(z|x) for z = mu + sd eps: -1/2 sum_L (eps^2 + logvar + log 2 pi).
torch::Tensor log_posterior(const torch::Tensor& eps, const torch::Tensor& logvar) {
  return -0.5 * (eps.pow(2) + logvar + std::log(2 * M_PI)).sum(-1);
}

}  // namespace

VampVAE::VampVAE(ModelConfig config) : VAE(std::move(config)) {
  const int64_t k = config_.get<VampOptions>().pseudo_inputs;
  pseudo_inputs_ = register_parameter("pseudo_inputs", torch::randn({k, config_.input_dim}) * 0.01);
  initialised_ = register_buffer("initialised", torch::zeros({}, torch::kBool));
}

VAE::Posterior VampVAE::prior_components() { return posterior(pseudo_inputs_); }

// z: [N, L] -> [N]. With var = exp(logvar): sum_L (z - mu)^2 / var = z^2 . (1/var) - 2 z . (mu/var)
// + sum_L mu^2 / var, three products over the K components instead of an [N, K, L] tensor.
torch::Tensor VampVAE::log_prior(const torch::Tensor& z) {
  const Posterior c = prior_components();  // [K, L] each
  const int64_t k = c.mu.size(0), l = c.mu.size(1);
  auto inv_var = torch::exp(-c.logvar);   // [K, L]
  auto quad = torch::mm(z.pow(2), inv_var.t()) - 2 * torch::mm(z, (c.mu * inv_var).t()) +
              (c.mu.pow(2) * inv_var).sum(1).unsqueeze(0);  // [N, K]
  auto log_n = -0.5 * (quad + c.logvar.sum(1).unsqueeze(0) + l * std::log(2 * M_PI));
  return torch::logsumexp(log_n, 1) - std::log(static_cast<double>(k));
}

torch::Tensor VampVAE::kl_term(const Posterior& q, const torch::Tensor& z, const torch::Tensor& eps) {
  return log_posterior(eps, q.logvar) - log_prior(z);
}

torch::Tensor VampVAE::log_prior_ratio(const torch::Tensor& z, const torch::Tensor& eps, const Posterior& q) {
  const int64_t s = z.size(0), b = z.size(1), l = z.size(2);
  auto lp = log_prior(z.reshape({s * b, l})).reshape({s, b});
  return lp - log_posterior(eps, q.logvar.unsqueeze(0));
}

// -> [n, D]
torch::Tensor VampVAE::sample(int64_t n, const torch::Tensor& y) {
  if (n < 0) fail("sample", "count must be >= 0");
  torch::NoGradGuard no_grad;
  const Posterior c = prior_components();
  auto which = torch::randint(c.mu.size(0), {n}, torch::TensorOptions().dtype(torch::kLong).device(c.mu.device()));
  auto mu = c.mu.index_select(0, which), logvar = c.logvar.index_select(0, which);
  return decode(mu + torch::exp(0.5 * logvar) * torch::randn_like(mu), y);
}

LossTerms VampVAE::train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) {
  if (!initialised()) {
    torch::NoGradGuard no_grad;
    const int64_t k = pseudo_inputs_.size(0);
    const auto whole = gather_batch(x);  // the global batch in data-parallel training
    auto pick = torch::randint(whole.size(0), {k}, torch::TensorOptions().dtype(torch::kLong).device(x.device()));
    auto rows = whole.index_select(0, pick);
    pseudo_inputs_.copy_(rows + 0.01 * rows.std().clamp_min(1e-3) * torch::randn_like(rows));
    initialised_.fill_(true);
  }
  return VAE::train_step(x, y, opt);
}

}  // namespace latentkit
