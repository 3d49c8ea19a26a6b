// The VAE's IWAE log-likelihood estimate: exact cases, agreement with the ELBO at k = 1,
// monotonicity in k, and convergence to the exact log p(x) of a linear-Gaussian model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "hand_mlp.h"
#include "latentkit/models/network.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/models/vae.h"

namespace latentkit {
namespace vae_iwae_test {

std::shared_ptr<VAE> build(const ModelConfig& c, uint64_t seed) {
  torch::manual_seed(seed);
  auto vae = std::dynamic_pointer_cast<VAE>(make_model(c));
  vae->to(torch::kFloat64);
  return vae;
}

ModelConfig random_vae() {
  ModelConfig c = default_config("vae");
  c.input_dim = 6;
  c.get<NetworkOptions>().hidden = {5};
  c.get<NetworkOptions>().latent_dim = 2;
  c.get<NetworkOptions>().activation = "tanh";
  return c;
}

// The output layer of an MLP block.
torch::nn::LinearImpl& last_linear(torch::nn::Sequential& seq) {
  torch::nn::LinearImpl* found = nullptr;
  for (const auto& m : seq->children())
    if (auto* l = m->as<torch::nn::Linear>()) found = l;
  if (!found) throw std::logic_error("no Linear layer");
  return *found;
}

struct Stats {
  double mean, se;
};
Stats stats(const torch::Tensor& v) {
  return {v.mean().item<double>(), v.std().item<double>() / std::sqrt(double(v.numel()))};
}

// With q(z|x) = p(z) = N(0, I) and a decoder that ignores z, every importance weight equals
// p(x), so the estimate is exact for every k; k * B large enough to need many chunks.
TEST(VaeIwae, ExactWhenPosteriorIsPriorAndDecoderIgnoresZ) {
  auto vae = build(random_vae(), 31);
  const std::vector<double> bias = {-2.0, -0.5, 0.0, 0.4, 1.0, 3.0};
  {
    torch::NoGradGuard no_grad;
    auto& enc = last_linear(vae->encoder());
    enc.weight.zero_();
    enc.bias.zero_();
    auto& dec = last_linear(vae->decoder());
    dec.weight.zero_();
    dec.bias.copy_(torch::tensor(bias, torch::kFloat64));
  }
  auto x = torch::rand({1000, 6}, torch::kFloat64);
  auto ll = vae->log_likelihood(x, 1000);
  ASSERT_EQ(ll.sizes(), (std::vector<int64_t>{1000}));
  auto rows = testing::to_matrix(x);
  for (size_t i = 0; i < rows.size(); i += 97) {
    double expected = 0;
    for (size_t d = 0; d < 6; ++d) expected -= testing::hand_bce(bias[d], rows[i][d]);
    EXPECT_NEAR(ll[i].item<double>(), expected, 1e-9) << "row " << i;
  }
  EXPECT_FALSE(ll.requires_grad());
}

// E[IWAE_1] = E_q[log p(x|z) + log p(z) - log q(z|x)] = ELBO. The reference ELBO samples are
// computed here from the posterior and the decoder output with the closed-form KL.
TEST(VaeIwae, OneSampleAveragesToTheElbo) {
  auto vae = build(random_vae(), 32);
  const int64_t R = 4000;
  auto x = torch::rand({1, 6}, torch::kFloat64).expand({R, 6}).contiguous();
  auto iwae = stats(vae->log_likelihood(x, 1));

  torch::NoGradGuard no_grad;
  auto q = vae->posterior(x);
  auto z = q.mu + torch::exp(0.5 * q.logvar) * torch::randn_like(q.mu);
  auto l = vae->decoder_logits_or_mean(z);
  auto p = torch::sigmoid(l);
  auto log_px = (x * torch::log(p) + (1 - x) * torch::log(1 - p)).sum(1);
  auto kl = -0.5 * (1 + q.logvar - q.mu.pow(2) - q.logvar.exp()).sum(1);
  auto elbo = stats(log_px - kl);

  const double tol = 4 * std::hypot(iwae.se, elbo.se);
  EXPECT_NEAR(iwae.mean, elbo.mean, tol);
  // The model's own "elbo" term, a batch mean of independent draws, agrees too.
  EXPECT_NEAR(vae->losses(x).at("elbo").item<double>(), elbo.mean, tol);
}

TEST(VaeIwae, MeanDoesNotFallAsKGrows) {
  auto vae = build(random_vae(), 33);
  const int64_t R = 500;
  auto x = torch::rand({5, 6}, torch::kFloat64).repeat({R / 5, 1});
  auto m1 = stats(vae->log_likelihood(x, 1));
  auto m10 = stats(vae->log_likelihood(x, 10));
  auto m100 = stats(vae->log_likelihood(x, 100));
  EXPECT_LE(m1.mean, m10.mean + 3 * std::hypot(m1.se, m10.se));
  EXPECT_LE(m10.mean, m100.mean + 3 * std::hypot(m10.se, m100.se));
  // A random encoder is a poor proposal, so the bound visibly tightens.
  EXPECT_GT(m100.mean, m1.mean + 3 * std::hypot(m1.se, m100.se));
}

// Linear decoder x = W z + b + sigma * noise has p(x) = N(b, W W^T + sigma^2 I) exactly. With
// the encoder set to the true posterior mean and marginal variances, IWAE with k = 1000
// should be within a small bias of the exact value.
TEST(VaeIwae, ConvergesToExactLinearGaussianLogLikelihood) {
  ModelConfig c = default_config("vae");
  c.input_dim = 3;
  c.get<NetworkOptions>().hidden = {};  // single Linear layers: a linear encoder and decoder
  c.get<NetworkOptions>().latent_dim = 2;
  c.get<VaeOptions>().likelihood = "gaussian";
  c.get<VaeOptions>().sigma = 0.5;
  auto vae = build(c, 34);
  const double s2 = c.get<VaeOptions>().sigma * c.get<VaeOptions>().sigma;
  auto W = torch::randn({3, 2}, torch::kFloat64);
  auto b = torch::randn({3}, torch::kFloat64);
  auto eye2 = torch::eye(2, torch::kFloat64);
  auto post_cov = torch::inverse(eye2 + W.t().mm(W) / s2);  // [2, 2]
  auto A = post_cov.mm(W.t()) / s2;                         // mean = A (x - b)
  {
    torch::NoGradGuard no_grad;
    auto& dec = last_linear(vae->decoder());
    dec.weight.copy_(W);
    dec.bias.copy_(b);
    auto& enc = last_linear(vae->encoder());  // [4, 3]: rows 0-1 mu, rows 2-3 logvar
    enc.weight.zero_();
    enc.weight.slice(0, 0, 2).copy_(A);
    enc.bias.slice(0, 0, 2).copy_(-A.mv(b));
    enc.bias.slice(0, 2, 4).copy_(torch::log(post_cov.diagonal()));
  }
  // Data drawn from the model itself, so x is typical.
  const int64_t B = 1000;
  auto cov = W.mm(W.t()) + s2 * torch::eye(3, torch::kFloat64);
  auto chol = torch::linalg::cholesky(cov);
  auto x = b + torch::randn({B, 3}, torch::kFloat64).mm(chol.t());
  // log N(x; b, cov) = -1/2 (3 log 2pi + log det cov + r^T cov^-1 r)
  auto r = x - b;
  auto maha = (r.mm(torch::inverse(cov)) * r).sum(1);
  auto exact = -0.5 * (3 * std::log(2 * M_PI) + torch::logdet(cov) + maha);

  auto ll = vae->log_likelihood(x, 1000);
  auto gap = exact - ll;  // >= 0 in expectation, shrinking like 1/k
  EXPECT_LT(gap.abs().max().item<double>(), 0.05);
  EXPECT_LT(std::abs(gap.mean().item<double>()), 0.005);
}

TEST(VaeIwae, RejectsNonPositiveK) {
  auto vae = build(random_vae(), 35);
  EXPECT_THROW(vae->log_likelihood(torch::rand({2, 6}, torch::kFloat64), 0), InputError);
}

}  // namespace
}  // namespace latentkit
