// The vector-quantised autoencoder (models/vqvae.h) against independent computations: nearest
// codes by brute force, the straight-through gradient equal to the identity's, the codebook and
// commitment terms and where their gradients go, the EMA codebook update by hand, perplexity from
// the entropy of the usage, and the categorical prior from the epoch's code counts.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "latentkit/catalog/catalog.h"
#include "latentkit/models/autoencoder.h"
#include "latentkit/models/network.h"
#include "latentkit/models/vqvae.h"

namespace latentkit {
namespace vqvae_test {

constexpr int64_t kD = 6, kCodes = 3, kWidth = 2, kPositions = 2;

std::shared_ptr<VQVAE> small(bool ema = false, uint64_t seed = 1) {
  ModelConfig c = default_config("vqvae");
  c.input_dim = kD;
  c.get<NetworkOptions>().hidden = {5};
  c.get<NetworkOptions>().latent_dim = kWidth * kPositions;
  c.get<NetworkOptions>().activation = "tanh";
  c.get<ReconstructionOptions>().loss = "mse";
  c.get<VqOptions>().codebook_size = kCodes;
  c.get<VqOptions>().code_dim = kWidth;
  c.get<VqOptions>().ema = ema;
  c.get<VqOptions>().ema_decay = 0.9;
  c.get<VqOptions>().ema_epsilon = 0.05;  // large enough that the smoothing shows in the codebook
  torch::manual_seed(seed);
  auto m = std::dynamic_pointer_cast<VQVAE>(make_model(c));
  m->to(torch::kFloat64);
  return m;
}

// Brute force: for each row, the index of the codebook row with the least squared distance.
torch::Tensor brute_nearest(const torch::Tensor& v, const torch::Tensor& book) {
  auto out = torch::empty({v.size(0)}, torch::kLong);
  for (int64_t i = 0; i < v.size(0); ++i) {
    double best = INFINITY;
    for (int64_t k = 0; k < book.size(0); ++k) {
      double d = 0;
      for (int64_t j = 0; j < v.size(1); ++j) {
        const double diff = v[i][j].item<double>() - book[k][j].item<double>();
        d += diff * diff;
      }
      if (d < best) {
        best = d;
        out[i] = k;
      }
    }
  }
  return out;
}

torch::Tensor buffer(torch::nn::Module& m, const std::string& name) { return m.named_buffers()[name]; }

TEST(VqVae, NearestCodesEqualBruteForce) {
  torch::manual_seed(3);
  auto v = torch::randn({40, 3}, torch::kFloat64), book = torch::randn({7, 3}, torch::kFloat64);
  EXPECT_TRUE(torch::equal(nearest_codes(v, book), brute_nearest(v, book)));
}

TEST(VqVae, PerplexityIsExpOfTheUsageEntropy) {
  auto idx = torch::tensor({0, 0, 1, 2, 2, 2, 2, 4}, torch::kLong);
  // Usage 2/8, 1/8, 4/8, 0, 1/8 of K = 5 codes.
  const double p[] = {0.25, 0.125, 0.5, 0.125};
  double h = 0;
  for (double q : p) h -= q * std::log(q);
  EXPECT_NEAR(code_perplexity(idx, 5).item<double>(), std::exp(h), 1e-6);
  EXPECT_NEAR(code_perplexity(torch::arange(6), 6).item<double>(), 6.0, 1e-5);  // every code once
}

TEST(VqVae, EncodeGivesTheNearestCodeIndices) {
  auto m = small();
  auto x = torch::rand({5, kD}, torch::kFloat64);
  Optimizers none;
  m->train_step(x, {}, none);  // places the codebook on the encoder's vectors
  torch::NoGradGuard no_grad;
  auto k = m->encode(x);
  ASSERT_EQ(k.sizes(), (std::vector<int64_t>{5, kPositions}));
  EXPECT_TRUE(torch::equal(k, k.round()));
  EXPECT_GE(k.min().item<double>(), 0);
  EXPECT_LT(k.max().item<double>(), kCodes);
  auto v = m->encoder()->forward(x).reshape({-1, kWidth});
  EXPECT_TRUE(torch::equal(k.reshape({-1}).to(torch::kLong), brute_nearest(v, m->codebook())));
  // decode(k) is the decoder on the looked-up code vectors.
  auto zq = m->codebook().index_select(0, k.reshape({-1}).to(torch::kLong)).reshape({5, -1});
  EXPECT_TRUE(torch::allclose(m->decode(k), m->decoder()->forward(zq)));
}

TEST(VqVae, StraightThroughGradientIsTheIdentitysGradient) {
  auto m = small();
  auto x = torch::rand({6, kD}, torch::kFloat64);
  Optimizers none;
  m->train_step(x, {}, none);
  auto encoder_grads = [&] {
    std::vector<torch::Tensor> g;
    for (auto& p : m->encoder()->parameters()) g.push_back(p.grad().clone());
    return g;
  };
  // The model's reconstruction term, back-propagated through the quantisation.
  m->zero_grad();
  m->losses(x).at("recon").backward();
  const auto through = encoder_grads();
  // The quantisation passes nothing to the codebook: only its own term moves it.
  EXPECT_TRUE(!m->codebook().grad().defined() || m->codebook().grad().abs().max().item<double>() == 0);
  // By hand: the gradient of the same loss with respect to the decoder's input z_q (a leaf),
  // handed unchanged to the encoder's output z_e.
  auto z_e = m->encoder()->forward(x);  // [B, M*C]
  torch::Tensor idx;
  {
    torch::NoGradGuard no_grad;
    idx = brute_nearest(z_e.reshape({-1, kWidth}), m->codebook());
  }
  auto z_q = m->codebook().index_select(0, idx).reshape({6, -1}).detach().requires_grad_(true);
  auto recon = (m->decoder()->forward(z_q) - x).pow(2).sum(1).mean();
  auto g = torch::autograd::grad({recon}, {z_q})[0];
  m->zero_grad();
  z_e.backward(g);
  const auto identity = encoder_grads();
  ASSERT_EQ(through.size(), identity.size());
  for (size_t i = 0; i < through.size(); ++i) EXPECT_TRUE(torch::allclose(through[i], identity[i], 1e-9, 1e-12)) << i;
}

TEST(VqVae, CodebookAndCommitmentTermsAndWhereTheirGradientsGo) {
  auto m = small();
  auto x = torch::rand({6, kD}, torch::kFloat64);
  Optimizers none;
  m->train_step(x, {}, none);
  torch::Tensor z_e, e, idx;
  {
    torch::NoGradGuard no_grad;
    z_e = m->encoder()->forward(x).reshape({-1, kWidth});
    idx = brute_nearest(z_e, m->codebook());
    e = m->codebook().index_select(0, idx);
  }
  const double per_image = (z_e - e).pow(2).sum().item<double>() / 6;
  auto terms = m->losses(x);
  EXPECT_NEAR(terms.at("codebook").item<double>(), per_image, 1e-10);
  EXPECT_NEAR(terms.at("commitment").item<double>(), per_image, 1e-10);
  EXPECT_NEAR(terms.at("loss").item<double>(), terms.at("recon").item<double>() + (1 + 0.25) * per_image, 1e-9);
  // The batch's code usage by hand: perplexity exp(-sum p log p), usage the share of codes used.
  std::vector<double> count(kCodes, 0.0);
  for (int64_t i = 0; i < idx.size(0); ++i) count[idx[i].item<int64_t>()] += 1;
  double entropy = 0, used = 0;
  for (double n : count) {
    if (n == 0) continue;
    const double p = n / idx.size(0);
    entropy -= p * std::log(p);
    used += 1;
  }
  EXPECT_NEAR(terms.at("perplexity").item<double>(), std::exp(entropy), 1e-5);
  EXPECT_NEAR(terms.at("usage").item<double>(), used / kCodes, 1e-7);

  auto has_grad = [](const torch::Tensor& p) { return p.grad().defined() && p.grad().abs().sum().item<double>() > 0; };
  // The codebook term moves the codebook only: d/de_k = -2/B sum_{i: k_i = k} (z_e,i - e_k).
  m->zero_grad();
  terms.at("codebook").backward();
  for (auto& p : m->encoder()->parameters()) EXPECT_FALSE(has_grad(p));
  auto expected = torch::zeros({kCodes, kWidth}, torch::kFloat64);
  expected.index_add_(0, idx, -2.0 / 6 * (z_e - e));
  EXPECT_TRUE(torch::allclose(m->codebook().grad(), expected, 1e-9, 1e-12));
  // The commitment term moves the encoder only.
  m->zero_grad();
  m->losses(x).at("commitment").backward();
  EXPECT_FALSE(has_grad(m->codebook()));
  bool encoder_moves = false;
  for (auto& p : m->encoder()->parameters()) encoder_moves = encoder_moves || has_grad(p);
  EXPECT_TRUE(encoder_moves);
}

TEST(VqVae, EmaUpdateEqualsTheMovingAveragesByHand) {
  auto m = small(/*ema=*/true);
  EXPECT_FALSE(m->codebook().requires_grad());  // a buffer, not trained by the optimizer
  Optimizers none;  // the networks stay fixed, so the vectors are known
  auto x1 = torch::rand({8, kD}, torch::kFloat64), x2 = torch::rand({8, kD}, torch::kFloat64);
  m->train_step(x1, {}, none);
  const auto count = buffer(*m, "ema_count").clone(), sum = buffer(*m, "ema_sum").clone();
  const auto book = m->codebook().clone();
  m->train_step(x2, {}, none);
  torch::NoGradGuard no_grad;
  auto v = m->encoder()->forward(x2).reshape({-1, kWidth});
  auto idx = brute_nearest(v, book);
  const double g = 0.9, eps = 0.05;
  auto n_k = torch::zeros({kCodes}, torch::kFloat64);
  auto s_k = torch::zeros({kCodes, kWidth}, torch::kFloat64);
  for (int64_t i = 0; i < v.size(0); ++i) {
    n_k[idx[i]] += 1;
    s_k[idx[i]] += v[i];
  }
  auto new_count = g * count + (1 - g) * n_k;
  auto new_sum = g * sum + (1 - g) * s_k;
  const double n = new_count.sum().item<double>();
  auto smoothed = (new_count + eps) / (n + kCodes * eps) * n;
  EXPECT_TRUE(torch::allclose(buffer(*m, "ema_count"), new_count, 1e-12, 1e-14));
  EXPECT_TRUE(torch::allclose(buffer(*m, "ema_sum"), new_sum, 1e-12, 1e-14));
  EXPECT_TRUE(torch::allclose(m->codebook(), new_sum / smoothed.unsqueeze(1), 1e-10, 1e-12));
  EXPECT_EQ(m->losses(x2).count("codebook"), 0u);  // no loss term for the codebook with EMA
}

TEST(VqVae, PriorCountsTheLastEpochsCodesPerPosition) {
  auto m = small();
  Optimizers none;
  auto x = torch::rand({20, kD}, torch::kFloat64);
  m->train_step(x, {}, none);
  m->end_epoch();
  torch::NoGradGuard no_grad;
  auto k = m->encode(x).to(torch::kLong);  // [20, M]
  for (int64_t pos = 0; pos < kPositions; ++pos)
    EXPECT_TRUE(torch::equal(m->prior_counts()[pos].to(torch::kLong), torch::bincount(k.select(1, pos), {}, kCodes)));
  torch::manual_seed(4);
  auto s = m->sample(7);
  EXPECT_EQ(s.sizes(), (std::vector<int64_t>{7, kD}));
  EXPECT_TRUE(torch::isfinite(s).all().item<bool>());
}

}  // namespace vqvae_test
}  // namespace latentkit
