// The VampPrior VAE (models/vamp.h) against brute-force computations in float64: the prior's
// log-density as a mixture sum, the sampled KL term, the IWAE log-likelihood and sampling.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "latentkit/catalog/catalog.h"
#include "latentkit/models/network.h"
#include "latentkit/models/vae.h"
#include "latentkit/models/vamp.h"

namespace latentkit {
namespace vamp_test {

constexpr int64_t kD = 5, kL = 2, kK = 4;
const double kLog2Pi = std::log(2 * M_PI);

std::shared_ptr<VampVAE> small(uint64_t seed = 1) {
  ModelConfig c = default_config("vamp");
  c.input_dim = kD;
  c.get<NetworkOptions>().hidden = {6};
  c.get<NetworkOptions>().latent_dim = kL;
  c.get<NetworkOptions>().activation = "tanh";
  c.get<VampOptions>().pseudo_inputs = kK;
  torch::manual_seed(seed);
  auto m = std::dynamic_pointer_cast<VampVAE>(make_model(c));
  m->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  m->pseudo_inputs().copy_(torch::rand({kK, kD}, torch::kFloat64));
  return m;
}

// log N(z; mu, diag exp(logvar)) summed over the L dimensions, by a loop.
double log_normal(const torch::Tensor& z, const torch::Tensor& mu, const torch::Tensor& logvar) {
  double s = 0;
  for (int64_t j = 0; j < z.size(0); ++j) {
    const double v = std::exp(logvar[j].item<double>()), d = z[j].item<double>() - mu[j].item<double>();
    s += -0.5 * (kLog2Pi + logvar[j].item<double>() + d * d / v);
  }
  return s;
}

// log (1/K sum_k N(z; mu_k, var_k)), summed directly (the densities are not tiny here).
double brute_log_prior(VampVAE& m, const torch::Tensor& z) {
  auto q = m.posterior(m.pseudo_inputs());  // the encoder on each pseudo-input
  double sum = 0;
  for (int64_t k = 0; k < kK; ++k) sum += std::exp(log_normal(z, q.mu[k], q.logvar[k]));
  return std::log(sum / kK);
}

TEST(Vamp, LogPriorIsTheMixtureOfThePseudoInputsPosteriors) {
  auto m = small();
  torch::NoGradGuard no_grad;
  auto z = torch::randn({7, kL}, torch::kFloat64);
  auto lp = m->log_prior(z);
  ASSERT_EQ(lp.sizes(), (std::vector<int64_t>{7}));
  for (int64_t i = 0; i < 7; ++i) EXPECT_NEAR(lp[i].item<double>(), brute_log_prior(*m, z[i]), 1e-9) << i;
  // The components are the encoder's posteriors of the pseudo-inputs.
  auto comps = m->prior_components();
  auto q = m->posterior(m->pseudo_inputs());
  EXPECT_TRUE(torch::allclose(comps.mu, q.mu));
  EXPECT_TRUE(torch::allclose(comps.logvar, q.logvar));
}

TEST(Vamp, KlTermIsTheSampledLogRatio) {
  auto m = small(2);
  auto x = torch::rand({3, kD}, torch::kFloat64);
  auto eps = torch::randn({3, kL}, torch::kFloat64);
  auto terms = m->losses_with_noise(x, eps);
  torch::NoGradGuard no_grad;
  auto q = m->posterior(x);
  auto z = q.mu + torch::exp(0.5 * q.logvar) * eps;
  double kl = 0;
  for (int64_t i = 0; i < 3; ++i) kl += log_normal(z[i], q.mu[i], q.logvar[i]) - brute_log_prior(*m, z[i]);
  EXPECT_NEAR(terms.at("kl").item<double>(), kl / 3, 1e-9);
  EXPECT_NEAR(terms.at("elbo").item<double>(), -(terms.at("recon").item<double>() + kl / 3), 1e-9);
}

TEST(Vamp, IwaeEstimateUsesTheVampPrior) {
  auto m = small(3);
  auto x = torch::rand({2, kD}, torch::kFloat64);
  torch::NoGradGuard no_grad;
  const int64_t k = 5;
  torch::manual_seed(11);
  auto ll = m->log_likelihood(x, k);
  // The same draws: log_likelihood takes eps ~ N(0, I) of shape [k, B, L] first.
  torch::manual_seed(11);
  auto eps = torch::randn({k, 2, kL}, torch::kFloat64);
  auto q = m->posterior(x);
  for (int64_t b = 0; b < 2; ++b) {
    std::vector<double> logw;
    for (int64_t i = 0; i < k; ++i) {
      auto z = q.mu[b] + torch::exp(0.5 * q.logvar[b]) * eps[i][b];
      auto p = torch::sigmoid(m->decoder_logits_or_mean(z.unsqueeze(0)))[0];
      double log_px = 0;
      for (int64_t d = 0; d < kD; ++d) {
        const double xv = x[b][d].item<double>(), pv = p[d].item<double>();
        log_px += xv * std::log(pv) + (1 - xv) * std::log(1 - pv);
      }
      logw.push_back(log_px + brute_log_prior(*m, z) - log_normal(z, q.mu[b], q.logvar[b]));
    }
    double mx = *std::max_element(logw.begin(), logw.end()), s = 0;
    for (double w : logw) s += std::exp(w - mx);
    EXPECT_NEAR(ll[b].item<double>(), mx + std::log(s / k), 1e-6) << b;
  }
}

TEST(Vamp, SamplesArePseudoInputPosteriorDrawsDecoded) {
  auto m = small(4);
  torch::NoGradGuard no_grad;
  auto s = m->sample(50);
  EXPECT_EQ(s.sizes(), (std::vector<int64_t>{50, kD}));
  EXPECT_GE(s.min().item<double>(), 0.0);  // Bernoulli means
  EXPECT_LE(s.max().item<double>(), 1.0);
}

TEST(Vamp, PseudoInputsStartOnTheFirstBatch) {
  ModelConfig c = default_config("vamp");
  c.input_dim = kD;
  c.get<VampOptions>().pseudo_inputs = kK;
  torch::manual_seed(5);
  auto m = std::dynamic_pointer_cast<VampVAE>(make_model(c));
  EXPECT_FALSE(m->initialised());
  auto x = torch::rand({16, kD});
  Optimizers none;
  m->train_step(x, {}, none);
  EXPECT_TRUE(m->initialised());
  // Each pseudo-input is near some row of the batch (a row plus a small jitter).
  auto d = std::get<0>(torch::cdist(m->pseudo_inputs().detach(), x).min(1));
  EXPECT_LT(d.max().item<double>(), 0.2);
}

}  // namespace vamp_test
}  // namespace latentkit
