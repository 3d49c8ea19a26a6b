// The vector-quantised autoencoder; see vqvae.h.
#include "latentkit/models/vqvae.h"

#include <torch/torch.h>

#include "latentkit/error.h"
#include "latentkit/models/autoencoder.h"
#include "latentkit/models/network.h"
#include "latentkit/nn/fused_mlp.h"
#include "latentkit/util/batch_shard.h"
#include "latentkit/models/model_size.h"

namespace latentkit {

const OptionTable& VqOptions::table() {
  using Self = VqOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("vq", "Vector quantisation", {LATENTKIT_VQ_OPTIONS(LATENTKIT_OPTION_SPEC)});
    t.check<Self, ModelConfig>([](const Self& o, const ModelConfig* c) {
      if (c) require_parameters_fit("--codebook-size", 3 * double(o.codebook_size) * double(o.code_dim));
    });
    return t;
  }();
  return table;
}

// vectors: [N, C], codebook: [K, C] -> [N]. |v - e|^2 = |v|^2 - 2 v.e + |e|^2; |v|^2 is the
// same for every code, so it is left out of the argmin.
torch::Tensor nearest_codes(const torch::Tensor& vectors, const torch::Tensor& codebook) {
  auto d = torch::addmm(codebook.pow(2).sum(1).unsqueeze(0), vectors, codebook.t(), 1.0, -2.0);  // [N, K]
  return d.argmin(1);
}

torch::Tensor code_perplexity(const torch::Tensor& indices, int64_t codebook_size) {
  auto p = torch::bincount(indices, {}, codebook_size).to(torch::kFloat64) / static_cast<double>(indices.numel());
  auto entropy = -(p * torch::log(p.clamp_min(1e-30))).sum();
  return entropy.exp().to(torch::kFloat32);
}

void VQVAE::check_config(const ModelConfig& c) {
  const int64_t latent = c.get<NetworkOptions>().latent_dim, width = c.get<VqOptions>().code_dim;
  if (latent % width != 0)
    fail("latent_dim", std::to_string(latent) + " does not split into code vectors of code_dim " +
                           std::to_string(width) + " (latent_dim must be a multiple of code_dim)");
}

VQVAE::VQVAE(ModelConfig config)
    : Model(config, config.get<NetworkOptions>().latent_dim / config.get<VqOptions>().code_dim),
      bce_(config_.get<ReconstructionOptions>().loss == "bce"),
      code_dim_(vq().code_dim),
      codes_(vq().codebook_size) {
  check_config(config_);
  const int64_t l = config_.get<NetworkOptions>().latent_dim;
  encoder_ = register_module("encoder", make_encoder(config_, l));
  decoder_ = register_module("decoder", make_decoder(config_, l));
  auto start = torch::empty({codes_, code_dim_}).uniform_(-1.0 / codes_, 1.0 / codes_);
  codebook_ = vq().ema ? register_buffer("codebook", start) : register_parameter("codebook", start);
  ema_count_ = register_buffer("ema_count", torch::zeros({codes_}));
  ema_sum_ = register_buffer("ema_sum", torch::zeros({codes_, code_dim_}));
  epoch_counts_ = register_buffer("epoch_counts", torch::zeros({positions(), codes_}));
  prior_counts_ = register_buffer("prior_counts", torch::zeros({positions(), codes_}));
  initialised_ = register_buffer("initialised", torch::zeros({}, torch::kBool));
}

// x: [B, D] -> [B, M, C]
torch::Tensor VQVAE::continuous(const torch::Tensor& x) {
  return run_network(encoder_, x).reshape({x.size(0), positions(), code_dim_});
}

// k: [B, M] -> [B, M * C]
torch::Tensor VQVAE::lookup(const torch::Tensor& k) const {
  return codebook_.index_select(0, k.reshape({-1})).reshape({k.size(0), positions() * code_dim_});
}

// x: [B, D] -> [B, M]
torch::Tensor VQVAE::encode(const torch::Tensor& x, const torch::Tensor& y) {
  auto v = continuous(x);  // [B, M, C]
  return nearest_codes(v.reshape({-1, code_dim_}), codebook_).reshape({x.size(0), positions()}).to(x.scalar_type());
}

// k: [B, M] -> [B, D]
torch::Tensor VQVAE::decode(const torch::Tensor& k, const torch::Tensor& y) {
  if (k.dim() != 2 || k.size(1) != positions())
    fail("codes", "expected [N, " + std::to_string(positions()) + "] code indices, got shape " + c10::str(k.sizes()));
  auto idx = k.round().clamp(0, codes_ - 1).to(torch::kLong);
  auto out = run_network(decoder_, lookup(idx));
  return bce_ ? torch::sigmoid(out) : out;
}

// -> [n, D]
torch::Tensor VQVAE::sample(int64_t n, const torch::Tensor& y) {
  if (n < 0) fail("sample", "count must be >= 0");
  torch::NoGradGuard no_grad;
  auto probs = prior_counts_ + 1.0;  // [M, K], Laplace-smoothed: an untrained prior is uniform
  auto k = torch::multinomial(probs, n, /*replacement=*/true).t();  // [n, M]
  return decode(k.to(codebook_.scalar_type()));
}

VQVAE::Pass VQVAE::forward_pass(const torch::Tensor& x) {
  const int64_t b = x.size(0);
  auto z_e = continuous(x).reshape({b * positions(), code_dim_});  // [B*M, C]
  torch::Tensor idx;
  {
    torch::NoGradGuard no_grad;
    idx = nearest_codes(z_e.detach(), codebook_);
  }
  auto z_q = codebook_.index_select(0, idx);  // [B*M, C]
  // Straight through: forward z_q, backward the identity into z_e.
  auto st = z_e + (z_q - z_e).detach();
  auto out = run_network(decoder_, st.reshape({b, positions() * code_dim_}));  // [B, D]
  auto recon = reconstruction_loss(x, out, bce_).mean();
  auto per_image = [&](const torch::Tensor& sq) { return sq.reshape({b, -1}).sum(1).mean(); };
  auto commitment = per_image((z_e - z_q.detach()).pow(2));
  auto loss = recon + vq().commitment * commitment;
  LossTerms t;
  if (!vq().ema) {
    auto codebook_term = per_image((z_e.detach() - z_q).pow(2));
    loss = loss + codebook_term;
    t["codebook"] = codebook_term;
  }
  auto xhat = bce_ ? torch::sigmoid(out.detach()) : out.detach();
  t["loss"] = loss;
  t["recon"] = recon;
  t["commitment"] = commitment;
  t["mse"] = (xhat - x).pow(2).sum(1).mean();
  t["perplexity"] = code_perplexity(idx, codes_);
  t["usage"] = (torch::bincount(idx, {}, codes_) > 0).sum().to(torch::kFloat32) / static_cast<double>(codes_);
  return Pass{t, z_e.detach(), idx};
}

// x: [B, D] -> scalar terms.
LossTerms VQVAE::losses(const torch::Tensor& x, const torch::Tensor& y) { return forward_pass(x).terms; }

void VQVAE::initialise_codebook(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  auto v = continuous(gather_batch(x)).reshape({-1, code_dim_});  // [B*M, C] of the global batch
  auto pick = torch::randint(v.size(0), {codes_}, torch::TensorOptions().dtype(torch::kLong).device(v.device()));
  codebook_.copy_(v.index_select(0, pick));
  ema_sum_.copy_(codebook_);
  ema_count_.fill_(1.0);
  initialised_.fill_(true);
}

void VQVAE::ema_update(const torch::Tensor& vectors, const torch::Tensor& indices) {
  torch::NoGradGuard no_grad;
  const double g = vq().ema_decay;
  auto onehot = torch::nn::functional::one_hot(indices, codes_).to(vectors.scalar_type());  // [N, K]
  auto counts = onehot.sum(0), sums = torch::mm(onehot.t(), vectors);
  reduce_batch_sums({counts, sums});  // the global batch's, in data-parallel training
  ema_count_.mul_(g).add_(counts, 1 - g);
  ema_sum_.mul_(g).add_(sums, 1 - g);
  // Laplace smoothing keeps unused codes' counts away from zero: (c + eps) / (n + K eps) * n.
  const double eps = vq().ema_epsilon;
  auto n = ema_count_.sum();
  auto smoothed = (ema_count_ + eps) / (n + codes_ * eps) * n;
  codebook_.copy_(ema_sum_ / smoothed.unsqueeze(1));
}

// x: [B, D] -> the batch's terms, detached.
LossTerms VQVAE::train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) {
  if (!initialised_.item<bool>()) initialise_codebook(x);
  for (auto& [name, o] : opt) o->zero_grad();
  Pass pass = forward_pass(x);
  pass.terms.at("loss").backward();
  for (auto& [name, o] : opt) o->step();
  if (vq().ema) ema_update(pass.vectors, pass.indices);
  {
    torch::NoGradGuard no_grad;
    auto per_position = pass.indices.reshape({x.size(0), positions()});  // [B, M]
    for (int64_t m = 0; m < positions(); ++m)
      epoch_counts_[m].add_(torch::bincount(per_position.select(1, m), {}, codes_).to(epoch_counts_.scalar_type()));
  }
  for (auto& [name, t] : pass.terms) t = t.detach();
  return pass.terms;
}

void VQVAE::end_epoch() {
  torch::NoGradGuard no_grad;
  if (epoch_counts_.sum().item<double>() <= 0) return;
  prior_counts_.copy_(epoch_counts_);
  epoch_counts_.zero_();
}

}  // namespace latentkit
