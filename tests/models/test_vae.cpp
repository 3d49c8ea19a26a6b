// The VAE's loss terms against hand computations, its gradients against finite differences,
// and its shapes and devices.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "../nn/gradcheck.h"
#include "hand_mlp.h"
#include "latentkit/models/network.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/models/vae.h"

namespace latentkit {
namespace vae_test {

using testing::hand_bce;
using testing::hand_forward;
using testing::linear_layers;
using testing::to_matrix;

const double kLog2Pi = std::log(2 * M_PI);

ModelConfig small_vae(const std::string& likelihood = "bernoulli") {
  ModelConfig c = default_config("vae");
  c.get<VaeOptions>().likelihood = likelihood;
  c.input_dim = 4;
  c.get<NetworkOptions>().hidden = {3};
  c.get<NetworkOptions>().latent_dim = 2;
  c.get<NetworkOptions>().activation = "tanh";
  return c;
}

std::shared_ptr<VAE> build(const ModelConfig& c, uint64_t seed) {
  torch::manual_seed(seed);
  auto vae = std::dynamic_pointer_cast<VAE>(make_model(c));
  vae->to(torch::kFloat64);
  return vae;
}

struct HandVaeTerms {
  double recon = 0, kl = 0;
};

// The batch-mean terms from the model's weights with loops over doubles. `log_sigma` (per
// dimension) selects the Gaussian decoder; empty means Bernoulli.
HandVaeTerms hand_vae(VAE& vae, const torch::Tensor& x, const torch::Tensor& eps,
                      const std::vector<double>& log_sigma = {}) {
  auto enc = linear_layers(vae.encoder()), dec = linear_layers(vae.decoder());
  auto rows = to_matrix(x), noise = to_matrix(eps);
  auto act = [](double v) { return std::tanh(v); };
  const size_t L = noise[0].size();
  HandVaeTerms t;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto h = hand_forward(enc, rows[i], act);  // [2L]: mu then logvar
    std::vector<double> z(L);
    for (size_t j = 0; j < L; ++j) {
      const double mu = h[j], lv = h[L + j];
      z[j] = mu + std::exp(0.5 * lv) * noise[i][j];
      t.kl += -0.5 * (1 + lv - mu * mu - std::exp(lv));
    }
    auto out = hand_forward(dec, z, act);
    for (size_t d = 0; d < out.size(); ++d) {
      if (log_sigma.empty()) {
        t.recon += hand_bce(out[d], rows[i][d]);
      } else {
        const double s = std::exp(log_sigma[d]), r = rows[i][d] - out[d];
        t.recon += 0.5 * kLog2Pi + log_sigma[d] + r * r / (2 * s * s);
      }
    }
  }
  t.recon /= rows.size();
  t.kl /= rows.size();
  return t;
}

void expect_terms(const LossTerms& terms, const HandVaeTerms& hand, double beta) {
  EXPECT_NEAR(terms.at("recon").item<double>(), hand.recon, 1e-10);
  EXPECT_NEAR(terms.at("kl").item<double>(), hand.kl, 1e-10);
  EXPECT_NEAR(terms.at("elbo").item<double>(), -(hand.recon + hand.kl), 1e-10);
  EXPECT_NEAR(terms.at("loss").item<double>(), hand.recon + beta * hand.kl, 1e-10);
}

TEST(Vae, BernoulliLossEqualsHandComputation) {
  ModelConfig c = small_vae();
  c.get<KlOptions>().beta = 0.5;
  auto vae = build(c, 21);
  auto x = torch::rand({3, 4}, torch::kFloat64);
  auto eps = torch::randn({3, 2}, torch::kFloat64);
  expect_terms(vae->losses_with_noise(x, eps), hand_vae(*vae, x, eps), c.get<KlOptions>().beta);
}

TEST(Vae, LossesDrawNoiseFromTheGlobalGenerator) {
  auto vae = build(small_vae(), 22);
  auto x = torch::rand({3, 4}, torch::kFloat64);
  torch::manual_seed(99);
  const double a = vae->losses(x).at("loss").item<double>();
  torch::manual_seed(99);
  auto eps = torch::randn({3, 2}, torch::kFloat64);
  EXPECT_DOUBLE_EQ(a, vae->losses_with_noise(x, eps).at("loss").item<double>());
}

TEST(Vae, GaussianFixedSigmaReconIsTheGaussianLogDensity) {
  ModelConfig c = small_vae("gaussian");
  c.get<VaeOptions>().sigma = 0.7;
  auto vae = build(c, 23);
  auto x = torch::randn({5, 4}, torch::kFloat64);
  auto eps = torch::randn({5, 2}, torch::kFloat64);
  expect_terms(vae->losses_with_noise(x, eps),
               hand_vae(*vae, x, eps, std::vector<double>(4, std::log(0.7))), c.get<KlOptions>().beta);
  EXPECT_NEAR(vae->log_sigma().item<double>(), std::log(0.7), 1e-15);
}

TEST(Vae, GaussianLearnedSigmaReconIsTheGaussianLogDensity) {
  ModelConfig c = small_vae("gaussian");
  c.get<VaeOptions>().learn_sigma = true;
  c.get<VaeOptions>().sigma = 2.0;
  auto vae = build(c, 24);
  ASSERT_EQ(vae->log_sigma().sizes(), (std::vector<int64_t>{4}));
  EXPECT_NEAR(vae->log_sigma()[0].item<double>(), std::log(2.0), 1e-6);  // starts at sigma (float32 init)
  const std::vector<double> log_sigma = {-0.5, 0.0, 0.3, 1.2};
  {
    torch::NoGradGuard no_grad;
    vae->log_sigma().copy_(torch::tensor(log_sigma, torch::kFloat64));
  }
  auto x = torch::randn({5, 4}, torch::kFloat64);
  auto eps = torch::randn({5, 2}, torch::kFloat64);
  expect_terms(vae->losses_with_noise(x, eps), hand_vae(*vae, x, eps, log_sigma), c.get<KlOptions>().beta);

  // log_px_given_z on its own: out = x gives only the normalising constants.
  auto lp = vae->log_px_given_z(x, x);
  double expected = 0;
  for (double ls : log_sigma) expected -= 0.5 * kLog2Pi + ls;
  EXPECT_NEAR(lp[0].item<double>(), expected, 1e-12);
}

TEST(Vae, LossGradientsMatchFiniteDifferences) {
  for (const std::string lik : {"bernoulli", "gaussian"}) {
    SCOPED_TRACE(lik);
    ModelConfig c = small_vae(lik);
    c.get<KlOptions>().beta = 0.7;
    c.get<VaeOptions>().learn_sigma = lik == "gaussian";
    auto vae = build(c, 25);
    auto x = lik == "bernoulli" ? torch::rand({3, 4}, torch::kFloat64)
                                : torch::randn({3, 4}, torch::kFloat64);
    auto eps = torch::randn({3, 2}, torch::kFloat64);
    testing::expect_gradients_match(
        *vae, [&] { return vae->losses_with_noise(x, eps).at("loss"); });
  }
}

TEST(Vae, ConvLossGradientsMatchFiniteDifferences) {
  ModelConfig c = small_vae();
  c.get<NetworkOptions>().architecture = "conv";
  c.image_shape = {1, 4, 4};
  c.input_dim = 16;
  c.get<NetworkOptions>().conv_channels = {2};
  auto vae = build(c, 26);
  auto x = torch::rand({2, 16}, torch::kFloat64);
  auto eps = torch::randn({2, 2}, torch::kFloat64);
  testing::expect_gradients_match(*vae,
                                  [&] { return vae->losses_with_noise(x, eps).at("loss"); });
}

TEST(Vae, ShapesSamplingAndPosterior) {
  auto vae = build(small_vae(), 27);
  auto x = torch::rand({3, 4}, torch::kFloat64);
  auto q = vae->posterior(x);
  EXPECT_EQ(q.mu.sizes(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(q.logvar.sizes(), (std::vector<int64_t>{3, 2}));
  EXPECT_TRUE(torch::equal(vae->encode(x), q.mu));
  EXPECT_EQ(vae->reconstruct(x).sizes(), (std::vector<int64_t>{3, 4}));
  torch::manual_seed(5);
  auto s1 = vae->sample(7);
  torch::manual_seed(5);
  auto s2 = vae->sample(7);
  EXPECT_EQ(s1.sizes(), (std::vector<int64_t>{7, 4}));
  EXPECT_TRUE(torch::equal(s1, s2));  // the global generator controls the draw
  EXPECT_GE(s1.min().item<double>(), 0.0);
  EXPECT_LE(s1.max().item<double>(), 1.0);
  EXPECT_TRUE(vae->has_log_likelihood());
  EXPECT_TRUE(vae->log_likelihood_is_bound());
}

TEST(Vae, RunsOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const std::string lik : {"bernoulli", "gaussian"}) {
    ModelConfig c = small_vae(lik);
    c.get<VaeOptions>().learn_sigma = lik == "gaussian";
    c.get<NetworkOptions>().architecture = "conv";
    c.image_shape = {1, 4, 4};
    c.input_dim = 16;
    c.get<NetworkOptions>().conv_channels = {2};
    auto vae = std::dynamic_pointer_cast<VAE>(make_model(c));
    vae->to(torch::kCUDA);
    auto x = torch::rand({3, 16}, torch::device(torch::kCUDA));
    auto terms = vae->losses(x);
    terms.at("loss").backward();
    EXPECT_TRUE(terms.at("elbo").is_cuda());
    EXPECT_TRUE(vae->log_likelihood(x, 250).is_cuda());
    EXPECT_TRUE(vae->sample(2).is_cuda());
    EXPECT_TRUE(vae->reconstruction_error(x).is_cuda());
    EXPECT_TRUE(vae->log_sigma().is_cuda());
  }
}

}  // namespace
}  // namespace latentkit
