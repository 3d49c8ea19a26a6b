// The VAE's KL warm-up schedule and the IWAE training objective, against independent
// computations: hand-written Gaussian log-densities, the VAE's single-sample terms, and finite
// differences.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "../nn/gradcheck.h"
#include "latentkit/models/network.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/models/iwae.h"
#include "latentkit/models/vae.h"

namespace latentkit {
namespace vae_objectives_test {

const double kLog2Pi = std::log(2 * M_PI);

ModelConfig tiny(const std::string& kind) {
  ModelConfig c = default_config(kind);
  c.input_dim = 5;
  c.get<NetworkOptions>().hidden = {4};
  c.get<NetworkOptions>().latent_dim = 2;
  c.get<NetworkOptions>().activation = "tanh";
  return c;
}

template <typename M>
std::shared_ptr<M> build(const ModelConfig& c, uint64_t seed) {
  torch::manual_seed(seed);
  auto m = std::dynamic_pointer_cast<M>(make_model(c));
  EXPECT_TRUE(m) << c.kind;
  m->to(torch::kFloat64);
  return m;
}

// Copies every parameter of `from` into `to` (same architecture).
void copy_parameters(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto src = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(src[p.key()]);
}

// log N(z; mu, diag exp(logvar)) per row, by the textbook formula: [B, L] each -> [B].
torch::Tensor log_normal(const torch::Tensor& z, const torch::Tensor& mu, const torch::Tensor& logvar) {
  return (-0.5 * kLog2Pi - 0.5 * logvar - 0.5 * (z - mu).pow(2) / logvar.exp()).sum(1);
}

double scalar(const LossTerms& t, const std::string& name) { return t.at(name).item<double>(); }

TEST(VaeKlWarmup, WeightFollowsTheLinearScheduleAndWeightsTheLoss) {
  ModelConfig c = tiny("vae");
  c.get<KlOptions>().beta = 2.5;
  c.get<KlOptions>().kl_warmup_epochs = 4;
  auto vae = build<VAE>(c, 11);
  auto x = torch::rand({3, 5}, torch::kFloat64);
  auto eps = torch::randn({3, 2}, torch::kFloat64);
  // Never set (a model outside training): the full weight.
  EXPECT_DOUBLE_EQ(scalar(vae->losses_with_noise(x, eps), "kl_weight"), 2.5);
  // Per step: progress p = epoch + batch / batches; w = beta * min(1, p / W).
  const int64_t batches = 10;
  for (auto [epoch, batch] : std::vector<std::pair<int64_t, int64_t>>{
           {0, 0}, {0, 3}, {1, 0}, {2, 7}, {3, 9}, {4, 0}, {6, 5}}) {
    SCOPED_TRACE(std::to_string(epoch) + ":" + std::to_string(batch));
    vae->set_training_progress(epoch + double(batch) / batches);
    const double step = double(epoch * batches + batch);
    const double expected = 2.5 * std::min(1.0, step / (4.0 * batches));
    auto t = vae->losses_with_noise(x, eps);
    EXPECT_NEAR(scalar(t, "kl_weight"), expected, 1e-12);
    EXPECT_NEAR(scalar(t, "loss"), scalar(t, "recon") + expected * scalar(t, "kl"), 1e-10);
    // The ELBO does not depend on the weight.
    EXPECT_NEAR(scalar(t, "elbo"), -(scalar(t, "recon") + scalar(t, "kl")), 1e-10);
  }
  vae->set_training_progress(0);
  EXPECT_NEAR(scalar(vae->losses_with_noise(x, eps), "loss"),
              scalar(vae->losses_with_noise(x, eps), "recon"), 1e-12);
}

TEST(VaeKlWarmup, OffMeansBetaAndNoWeightTerm) {
  ModelConfig c = tiny("vae");
  c.get<KlOptions>().beta = 0.5;
  auto vae = build<VAE>(c, 12);
  vae->set_training_progress(0.0);
  auto x = torch::rand({3, 5}, torch::kFloat64);
  auto t = vae->losses_with_noise(x, torch::randn({3, 2}, torch::kFloat64));
  EXPECT_EQ(t.count("kl_weight"), 0u);
  EXPECT_NEAR(scalar(t, "loss"), scalar(t, "recon") + 0.5 * scalar(t, "kl"), 1e-12);
}

// k = 1: the IWAE bound is log p(x|z) + log p(z) - log q(z|x) for the one z, i.e. the VAE's
// reconstruction term (same eps) with a Monte Carlo KL in place of the closed form.
TEST(Iwae, SingleSampleIsTheVaeObjectiveWithTheSameNoise) {
  ModelConfig c = tiny("iwae");
  c.get<ImportanceOptions>().iwae_k = 1;
  auto iwae = build<IWAE>(c, 21);
  auto vae = build<VAE>(tiny("vae"), 22);
  copy_parameters(*iwae, *vae);
  auto x = torch::rand({4, 5}, torch::kFloat64);
  auto eps = torch::randn({4, 2}, torch::kFloat64);
  auto ti = iwae->losses_with_noise(x, eps.unsqueeze(0));
  auto tv = vae->losses_with_noise(x, eps);
  EXPECT_NEAR(scalar(ti, "recon"), scalar(tv, "recon"), 1e-12);
  EXPECT_NEAR(scalar(ti, "kl"), scalar(tv, "kl"), 1e-12);
  EXPECT_NEAR(scalar(ti, "elbo"), scalar(tv, "elbo"), 1e-12);
  auto q = vae->posterior(x);
  auto z = q.mu + (0.5 * q.logvar).exp() * eps;
  auto mc_kl = (log_normal(z, q.mu, q.logvar) -
                log_normal(z, torch::zeros_like(z), torch::zeros_like(z))).mean().item<double>();
  EXPECT_NEAR(scalar(ti, "loss"), scalar(tv, "recon") + mc_kl, 1e-10);
  EXPECT_NEAR(scalar(ti, "iwae_bound"), -scalar(ti, "loss"), 1e-12);
  // Also float32, the training precision, with a 2-D eps.
  iwae->to(torch::kFloat32);
  vae->to(torch::kFloat32);
  auto xf = x.to(torch::kFloat32), ef = eps.to(torch::kFloat32);
  EXPECT_NEAR(scalar(iwae->losses_with_noise(xf, ef), "recon"),
              scalar(vae->losses_with_noise(xf, ef), "recon"), 1e-4);
}

// With q(z|x) = N(0, I) (a zeroed encoder output layer) the Monte Carlo and closed-form KL are
// both 0, so the k = 1 IWAE loss equals the VAE's loss exactly, noise for noise.
TEST(Iwae, SingleSampleEqualsVaeLossWhenPosteriorIsPrior) {
  ModelConfig c = tiny("iwae");
  c.get<ImportanceOptions>().iwae_k = 1;
  auto iwae = build<IWAE>(c, 23);
  {
    torch::NoGradGuard no_grad;
    auto params = iwae->named_parameters();
    params["encoder.2.weight"].zero_();
    params["encoder.2.bias"].zero_();
  }
  auto vae = build<VAE>(tiny("vae"), 24);
  copy_parameters(*iwae, *vae);
  auto x = torch::rand({6, 5}, torch::kFloat64);
  auto eps = torch::randn({1, 6, 2}, torch::kFloat64);
  EXPECT_NEAR(scalar(iwae->losses_with_noise(x, eps), "loss"),
              scalar(vae->losses_with_noise(x, eps[0]), "loss"), 1e-12);
  EXPECT_NEAR(scalar(vae->losses_with_noise(x, eps[0]), "kl"), 0.0, 1e-15);
}

// k samples: the bound from per-sample VAE reconstruction terms (one row at a time) and
// hand-written Gaussian densities.
TEST(Iwae, BoundMatchesPerSampleReference) {
  ModelConfig c = tiny("iwae");
  c.get<ImportanceOptions>().iwae_k = 6;
  auto iwae = build<IWAE>(c, 25);
  auto vae = build<VAE>(tiny("vae"), 26);
  copy_parameters(*iwae, *vae);
  const int64_t b = 3, k = 6;
  auto x = torch::rand({b, 5}, torch::kFloat64);
  auto eps = torch::randn({k, b, 2}, torch::kFloat64);
  double expected = 0;
  for (int64_t r = 0; r < b; ++r) {
    auto xr = x.narrow(0, r, 1);
    auto q = vae->posterior(xr);
    std::vector<double> lw;
    for (int64_t i = 0; i < k; ++i) {
      auto e = eps[i].narrow(0, r, 1);
      auto z = q.mu + (0.5 * q.logvar).exp() * e;
      const double log_px = -scalar(vae->losses_with_noise(xr, e), "recon");
      lw.push_back(log_px + log_normal(z, torch::zeros_like(z), torch::zeros_like(z)).item<double>() -
                   log_normal(z, q.mu, q.logvar).item<double>());
    }
    const double m = *std::max_element(lw.begin(), lw.end());
    double s = 0;
    for (double v : lw) s += std::exp(v - m);
    expected += (m + std::log(s) - std::log(double(k))) / b;
  }
  auto t = iwae->losses_with_noise(x, eps);
  EXPECT_NEAR(scalar(t, "iwae_bound"), expected, 1e-10);
  EXPECT_NEAR(scalar(t, "loss"), -expected, 1e-10);
  // With noise drawn inside, the same set of terms.
  auto drawn = iwae->losses(x);
  for (const char* name : {"loss", "iwae_bound", "recon", "kl", "elbo"}) EXPECT_EQ(drawn.count(name), 1u) << name;
}

TEST(Iwae, GradientsMatchFiniteDifferences) {
  for (const std::string lik : {"bernoulli", "gaussian"}) {
    SCOPED_TRACE(lik);
    ModelConfig c = tiny("iwae");
    c.get<VaeOptions>().likelihood = lik;
    c.get<VaeOptions>().learn_sigma = lik == "gaussian";
    c.get<ImportanceOptions>().iwae_k = 4;
    auto iwae = build<IWAE>(c, 27);
    auto x = lik == "bernoulli" ? torch::rand({3, 5}, torch::kFloat64)
                                : torch::randn({3, 5}, torch::kFloat64);
    auto eps = torch::randn({4, 3, 2}, torch::kFloat64);
    testing::expect_gradients_match(*iwae,
                                    [&] { return iwae->losses_with_noise(x, eps).at("loss"); });
  }
}

TEST(Iwae, RejectsBadK) {
  ModelConfig c = tiny("iwae");
  c.get<ImportanceOptions>().iwae_k = 0;
  EXPECT_THROW(make_model(c), InputError);
}

}  // namespace
}  // namespace latentkit
