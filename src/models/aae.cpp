// The adversarial autoencoder; see aae.h.
#include "latentkit/models/aae.h"

#include <torch/torch.h>

#include "latentkit/error.h"
#include "latentkit/models/network.h"
#include "latentkit/nn/blocks.h"
#include "latentkit/stats/mmd.h"
#include "latentkit/util/batch_shard.h"
#include "latentkit/models/model_size.h"

namespace latentkit {

const OptionTable& AdversarialOptions::table() {
  using Self = AdversarialOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("adversarial", "Adversarial prior matching",
                                   {LATENTKIT_ADVERSARIAL_OPTIONS(LATENTKIT_OPTION_SPEC)});
    // --prior gaussian | uniform | mixture[:K]
    t.flag_parser<Self>("prior", [](Self& o, const std::string& text) {
      const auto colon = text.find(':');
      o.prior = text.substr(0, colon);
      if (colon == std::string::npos) return;
      if (o.prior != "mixture") fail("--prior", "'" + text + "': only 'mixture' takes a component count (mixture:K)");
      parse_option_text(text.substr(colon + 1), "--prior", o.prior_components);
      if (o.prior_components < 1) fail("--prior", "'" + text + "': K in mixture:K must be a positive integer");
    }, [](const Self& o) { return o.prior == "mixture" ? o.prior + ":" + option_text(o.prior_components) : o.prior; });
    // The discriminator L -> disc_hidden -> 1.
    t.check<Self, ModelConfig>([](const Self& o, const ModelConfig* c) {
      const NetworkOptions* n = c ? c->options.find<NetworkOptions>() : nullptr;
      if (!n) return;
      std::vector<double> widths{double(n->latent_dim)};
      for (int64_t w : o.disc_hidden) widths.push_back(double(w));
      widths.push_back(1);
      require_parameters_fit("--disc-hidden", dense_parameters(widths));
    });
    return t;
  }();
  return table;
}

void AdversarialAutoencoder::check_config(const ModelConfig& c) {
  const int64_t latent = c.get<NetworkOptions>().latent_dim;
  if (c.get<AdversarialOptions>().prior == "mixture" && latent != 2)
    fail("latent_dim", "prior 'mixture' places its components on a circle: it needs latent_dim 2 (got " +
                           std::to_string(latent) + ")");
}

// -log sigmoid(l) = softplus(-l) and -log(1 - sigmoid(l)) = softplus(l), stable for any l.
torch::Tensor discriminator_loss(const torch::Tensor& real_logits, const torch::Tensor& fake_logits) {
  return 0.5 * (torch::softplus(-real_logits).mean() + torch::softplus(fake_logits).mean());
}

torch::Tensor generator_loss(const torch::Tensor& fake_logits) {
  return torch::softplus(-fake_logits).mean();
}

torch::Tensor discriminator_accuracy(const torch::Tensor& real_logits, const torch::Tensor& fake_logits) {
  auto right = (real_logits > 0).sum() + (fake_logits <= 0).sum();
  return right.to(torch::kFloat32) / static_cast<double>(real_logits.numel() + fake_logits.numel());
}

AdversarialAutoencoder::AdversarialAutoencoder(ModelConfig config)
    : Autoencoder(std::move(config)) {
  const auto& o = config_.get<AdversarialOptions>();
  prior_ = LatentPrior{o.prior, latent_dim(), o.prior_components};
  discriminator_ = register_module("discriminator", make_mlp(latent_dim(), o.disc_hidden, 1, "leaky_relu"));
}

// z: [B, L] -> [B]
torch::Tensor AdversarialAutoencoder::discriminate(const torch::Tensor& z) {
  return discriminator_->forward(z).squeeze(1);
}

// -> [n, D]
torch::Tensor AdversarialAutoencoder::sample(int64_t n, const torch::Tensor& y) {
  auto opts = parameters().front().options().requires_grad(false);
  return decode(prior_.sample(n, opts));
}

// x: [B, D] -> scalar terms (evaluation; training uses train_step's three steps).
LossTerms AdversarialAutoencoder::losses(const torch::Tensor& x, const torch::Tensor& y) {
  LossTerms terms = losses_from(x, x, y);
  torch::NoGradGuard no_grad;
  auto z_fake = encode(x);  // [B, L]
  auto z_real = draw_for_batch(x.size(0), [&](int64_t n) { return prior_.sample(n, z_fake.options()); });
  auto real = discriminate(z_real), fake = discriminate(z_fake);
  terms["disc_loss"] = discriminator_loss(real, fake);
  terms["disc_acc"] = discriminator_accuracy(real, fake);
  terms["gen_loss"] = generator_loss(fake);
  if (x.size(0) >= 2) terms["mmd"] = mmd_rbf(z_fake, z_real, default_bandwidths2(latent_dim()));
  return terms;
}

std::vector<ParamGroup> AdversarialAutoencoder::param_groups() {
  auto autoencoder = encoder()->parameters();
  for (const auto& p : decoder()->parameters()) autoencoder.push_back(p);
  return {ParamGroup{"autoencoder", autoencoder, 1.0},
          ParamGroup{"discriminator", discriminator_->parameters(), config_.get<AdversarialOptions>().disc_lr_scale},
          ParamGroup{"generator", encoder()->parameters(), config_.get<AdversarialOptions>().gen_lr_scale}};
}

// x: [B, D] -> the three steps' terms, detached.
LossTerms AdversarialAutoencoder::train_step(const torch::Tensor& x, const torch::Tensor& y,
                                             Optimizers& opt) {
  auto& reconstruction = *opt.at("autoencoder");
  auto& discriminator = *opt.at("discriminator");
  auto& generator = *opt.at("generator");

  reconstruction.zero_grad();
  LossTerms terms = losses_from(x, x, y);
  terms.at("loss").backward();
  reconstruction.step();

  discriminator.zero_grad();
  torch::Tensor z_fake;
  {
    torch::NoGradGuard no_grad;
    z_fake = encode(x);
  }
  auto real = discriminate(
      draw_for_batch(x.size(0), [&](int64_t n) { return prior_.sample(n, z_fake.options()); }));
  auto fake = discriminate(z_fake);
  auto d_loss = discriminator_loss(real, fake);
  d_loss.backward();
  discriminator.step();

  // The generator's gradient passes through D; D's own gradients from this step are discarded
  // by its zero_grad() before its next step.
  generator.zero_grad();
  auto g_loss = generator_loss(discriminate(encode(x)));
  g_loss.backward();
  generator.step();

  terms["disc_loss"] = d_loss;
  terms["disc_acc"] = discriminator_accuracy(real.detach(), fake.detach());
  terms["gen_loss"] = g_loss;
  for (auto& [name, t] : terms) t = t.detach();
  return terms;
}

}  // namespace latentkit
