// The VAE's fused training step (see fused_step.h and vae.h).
#include <torch/torch.h>

#include <cmath>

#include "latentkit/models/fused_step.h"
#include "latentkit/models/network.h"
#include "latentkit/models/vae.h"
#include "latentkit/nn/fused_mlp.h"
#include "latentkit/util/batch_shard.h"

namespace latentkit {

namespace {

class VaeFusedStep : public FusedStep {
 public:
  VaeFusedStep(VAE& model, GemmPrecision precision) : model_(model), precision_(precision) {}
  LossTerms step(const torch::Tensor& x, Optimizers& opt) override;

 private:
  VAE& model_;
  GemmPrecision precision_;
};

// One step of VAE::losses()'s objective with hand-written gradients. With S = sum over the
// batch of recon_i + w kl_i (the loss is S / B), z = mu + sd eps, sd = exp(logvar / 2):
//   dS/dmu = dS/dz + w mu,   dS/dlogvar = dS/dz eps sd / 2 + w (sd^2 - 1) / 2,
// and the decoder's and encoder's backward passes carry the rest (nn/fused_mlp.h).
// x: [B, D] -> terms.
LossTerms VaeFusedStep::step(const torch::Tensor& x, Optimizers& opt) {
  torch::NoGradGuard no_grad;
  // Views of the networks' parameters (cheap to build), holding this step's activations.
  FusedMlp encoder(model_.encoder(), precision_), decoder(model_.decoder(), precision_);
  const VaeOptions& o = model_.options();
  const int64_t b = x.size(0), l = model_.latent_dim();
  const torch::Tensor& h = encoder.forward(x);  // [B, 2L]: mu | logvar
  const auto eps = draw_for_batch(b, [&](int64_t n) { return torch::randn({n, l}, x.options()); });  // as VAE::losses() draws it
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
  if (model_.bernoulli()) {
    recon_sum = bernoulli_nll_and_grad(out, x, g);
    g_scale = 1.0f;
  } else {
    // -log N(x; out, s^2) per pixel = (x - out)^2 / (2 s^2) + log(2 pi) / 2 + log s
    const double s = o.sigma;
    recon_sum = 0.5 * squared_error_and_residual(out, x, g) / (s * s) +
                static_cast<double>(b) * out.size(1) * (0.5 * std::log(2.0 * M_PI) + std::log(s));
    g_scale = static_cast<float>(1.0 / (s * s));
  }
  const float inv_b = 1.0f / static_cast<float>(b);
  torch::Tensor dz;  // d(sum g . out)/dz: [B, L]
  decoder.backward(g, g_scale * inv_b, &dz);

  const double w = model_.kl_weight();
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
  for (auto& [name, optimizer] : opt) optimizer->step();

  const double recon = recon_sum / b, kl = kl_sum / b;
  auto scalar = [&](double v) { return torch::full({}, v, x.options()); };
  LossTerms t{{"loss", scalar(recon + w * kl)}, {"recon", scalar(recon)}, {"kl", scalar(kl)},
              {"elbo", scalar(-(recon + kl))}};
  if (model_.kl_warmup()) t["kl_weight"] = scalar(w);
  return t;
}

bool vae_applies(const ModelConfig& c) {
  const auto& n = c.get<NetworkOptions>();
  const auto& v = c.get<VaeOptions>();
  return n.architecture == "mlp" && n.activation == "relu" && (v.likelihood == "bernoulli" || !v.learn_sigma);
}

std::unique_ptr<FusedStep> make_vae_step(Model& model, GemmPrecision precision) {
  // Null for a model of another class (a test double, say): it trains through its own step.
  auto* cast = dynamic_cast<VAE*>(&model);
  if (!cast) return nullptr;
  auto& vae = *cast;
  if (!vae_applies(vae.config()) || !FusedMlp::supports(vae.encoder()) || !FusedMlp::supports(vae.decoder()))
    return nullptr;
  return std::make_unique<VaeFusedStep>(vae, precision);
}

}  // namespace

const FusedStepKind kVaeFusedStep{vae_applies, make_vae_step};

}  // namespace latentkit
