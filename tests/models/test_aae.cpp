// The adversarial autoencoder ("aae"): its discriminator and generator losses on fixed logits
// against their closed forms, MMD against a brute-force double loop, the three priors' draws
// against their definitions, the three training steps' effect on their own parameters only, and
// codes that move toward the prior.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>
#include <memory>
#include <vector>

#include "latentkit/models/autoencoder.h"
#include "latentkit/models/network.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/stats/mmd.h"
#include "latentkit/models/aae.h"
#include "latentkit/models/latent_prior.h"
#include "latentkit/models/model.h"

namespace latentkit {
namespace aae_test {

double log_sigmoid(double l) { return std::log(1.0 / (1.0 + std::exp(-l))); }

TEST(AdversarialLosses, MatchClosedFormsOnFixedLogits) {
  const std::vector<double> real{2.0, -1.0, 0.5, 3.5}, fake{-3.0, 0.2, 1.5, -0.1};
  auto r = torch::tensor(real, torch::kFloat64), f = torch::tensor(fake, torch::kFloat64);
  double d = 0, g = 0;
  for (double l : real) d -= log_sigmoid(l) / real.size();
  for (double l : fake) d -= std::log(1 - 1.0 / (1.0 + std::exp(-l))) / fake.size();
  for (double l : fake) g -= log_sigmoid(l) / fake.size();
  EXPECT_NEAR(discriminator_loss(r, f).item<double>(), d / 2, 1e-12);
  EXPECT_NEAR(generator_loss(f).item<double>(), g, 1e-12);
  // Right: real 2.0, 0.5, 3.5 (> 0) and fake -3.0, -0.1 (<= 0): 5 of 8.
  EXPECT_NEAR(discriminator_accuracy(r, f).item<double>(), 5.0 / 8.0, 1e-7);
}

TEST(AdversarialLosses, StayFiniteForExtremeLogits) {
  auto r = torch::tensor({200.0f, -200.0f}), f = torch::tensor({-200.0f, 200.0f});
  EXPECT_NEAR(discriminator_loss(r, f).item<double>(), 0.5 * (200.0 / 2 + 200.0 / 2), 1e-3);
  EXPECT_NEAR(generator_loss(f).item<double>(), 100.0, 1e-3);
}

TEST(Mmd, EqualsBruteForceDoubleLoop) {
  torch::manual_seed(1);
  auto a = torch::randn({7, 3}, torch::kFloat64), b = torch::randn({5, 3}, torch::kFloat64) + 0.5;
  const std::vector<double> s2{0.5, 2.0};
  auto k = [&](const torch::Tensor& x, const torch::Tensor& y) {
    const double d2 = (x - y).pow(2).sum().item<double>();
    double v = 0;
    for (double s : s2) v += std::exp(-d2 / (2 * s));
    return v;
  };
  double aa = 0, bb = 0, ab = 0;
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 7; ++j)
      if (i != j) aa += k(a[i], a[j]) / (7 * 6);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j)
      if (i != j) bb += k(b[i], b[j]) / (5 * 4);
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 5; ++j) ab += k(a[i], b[j]) / (7 * 5);
  EXPECT_NEAR(mmd_rbf(a, b, s2).item<double>(), aa + bb - 2 * ab, 1e-10);
}

TEST(Mmd, SeparatesDifferentDistributionsFromEqualOnes) {
  torch::manual_seed(2);
  const auto bw = default_bandwidths2(4);
  auto same = mmd_rbf(torch::randn({1000, 4}), torch::randn({1000, 4}), bw).item<double>();
  auto shifted = mmd_rbf(torch::randn({1000, 4}), torch::randn({1000, 4}) + 1.0, bw).item<double>();
  EXPECT_LT(std::abs(same), 0.01);
  EXPECT_GT(shifted, 10 * std::abs(same) + 0.05);
}

TEST(LatentPrior, MixtureDrawsSitNearEvenlySpacedCircleMeans) {
  torch::manual_seed(3);
  LatentPrior p{"mixture", 2, 8};
  auto means = p.mixture_means(torch::kFloat64);
  for (int c = 0; c < 8; ++c) {
    const double angle = 2 * M_PI * c / 8;
    EXPECT_NEAR(means[c][0].item<double>(), 2.0 * std::cos(angle), 1e-12);
    EXPECT_NEAR(means[c][1].item<double>(), 2.0 * std::sin(angle), 1e-12);
  }
  auto z = p.sample(80000, torch::kFloat64);
  auto nearest = torch::cdist(z, means).argmin(1);
  auto offset = z - means.index_select(0, nearest);  // [N, 2], ~N(0, 0.25^2 I)
  EXPECT_NEAR(offset.std().item<double>(), 0.25, 0.005);
  auto counts = torch::bincount(nearest, {}, 8).to(torch::kFloat64) / 80000.0;
  EXPECT_TRUE(torch::allclose(counts, torch::full({8}, 1.0 / 8, torch::kFloat64), 0, 0.01));
}

TEST(LatentPrior, UniformAndGaussianDrawsHaveTheirMoments) {
  torch::manual_seed(4);
  auto u = LatentPrior{"uniform", 3, 1}.sample(100000, torch::kFloat64);
  EXPECT_LE(u.abs().max().item<double>(), 2.0);
  EXPECT_NEAR(u.var().item<double>(), 16.0 / 12.0, 0.02);  // Var U(-2, 2) = 4^2 / 12
  auto g = LatentPrior{"gaussian", 3, 1}.sample(100000, torch::kFloat64);
  EXPECT_NEAR(g.mean().item<double>(), 0.0, 0.01);
  EXPECT_NEAR(g.var().item<double>(), 1.0, 0.02);
}

ModelConfig small_aae(const std::string& prior, int64_t latent) {
  ModelConfig c = default_config("aae");
  c.get<ReconstructionOptions>().loss = "bce";
  c.input_dim = 16;
  c.get<NetworkOptions>().hidden = {32};
  c.get<NetworkOptions>().latent_dim = latent;
  c.get<AdversarialOptions>().prior = prior;
  c.get<AdversarialOptions>().prior_components = 4;
  c.get<AdversarialOptions>().disc_hidden = {32};
  return c;
}

TEST(AdversarialAutoencoder, MixturePriorNeedsATwoDimensionalLatent) {
  EXPECT_THROW(make_model(small_aae("mixture", 3)), InputError);
  EXPECT_NO_THROW(make_model(small_aae("mixture", 2)));
}

std::vector<torch::Tensor> snapshot(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone());
  return out;
}

bool any_changed(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& before) {
  for (size_t i = 0; i < params.size(); ++i)
    if (!torch::equal(params[i].detach(), before[i])) return true;
  return false;
}

// One Adam per parameter group; `lr` maps group names to learning rates (missing: 1e-3 * scale).
Optimizers adam_for(Model& model, const std::map<std::string, double>& lr = {}) {
  Optimizers opt;
  for (auto& g : model.param_groups()) {
    const double rate = lr.count(g.name) ? lr.at(g.name) : 1e-3 * g.lr_scale;
    opt[g.name] = std::make_unique<torch::optim::Adam>(g.params, torch::optim::AdamOptions(rate));
  }
  return opt;
}

TEST(AdversarialAutoencoder, EachStepMovesOnlyItsOwnParameters) {
  torch::manual_seed(5);
  auto model = std::dynamic_pointer_cast<AdversarialAutoencoder>(make_model(small_aae("gaussian", 2)));
  auto groups = model->param_groups();
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].name, "autoencoder");
  EXPECT_EQ(groups[1].name, "discriminator");
  EXPECT_EQ(groups[2].name, "generator");
  auto encoder = model->encoder()->parameters(), decoder = model->decoder()->parameters();
  auto disc = groups[1].params;
  EXPECT_EQ(groups[2].params.size(), encoder.size());  // the generator is the encoder
  auto x = torch::rand({32, 16});
  // Freezing one step at a time (learning rate 0) shows which parameters each step moves.
  struct Case {
    std::string frozen;
    bool encoder_moves, decoder_moves, disc_moves;
  };
  for (const Case& c : {Case{"", true, true, true}, Case{"autoencoder", true, false, true},
                        Case{"discriminator", true, true, false}}) {
    std::map<std::string, double> lr;
    if (!c.frozen.empty()) lr[c.frozen] = 0.0;
    Optimizers opt = adam_for(*model, lr);
    auto e0 = snapshot(encoder), d0 = snapshot(decoder), q0 = snapshot(disc);
    auto terms = model->train_step(x, {}, opt);
    for (const char* name : {"loss", "recon", "disc_loss", "disc_acc", "gen_loss"})
      EXPECT_TRUE(terms.count(name)) << name;
    EXPECT_EQ(any_changed(encoder, e0), c.encoder_moves) << "frozen: " << c.frozen;
    EXPECT_EQ(any_changed(decoder, d0), c.decoder_moves) << "frozen: " << c.frozen;
    EXPECT_EQ(any_changed(disc, q0), c.disc_moves) << "frozen: " << c.frozen;
  }
  // With the autoencoder and generator steps frozen the encoder stays put.
  Optimizers opt = adam_for(*model, {{"autoencoder", 0.0}, {"generator", 0.0}});
  auto e0 = snapshot(encoder);
  model->train_step(x, {}, opt);
  EXPECT_FALSE(any_changed(encoder, e0));
  EXPECT_TRUE(model->losses(x).count("mmd"));
}

// Data on a curved 2-D manifold in 16 dimensions, x = sigmoid(A t + c) for t ~ N(0, I): an
// autoencoder alone leaves its codes wherever reconstruction puts them; the adversarial steps
// must bring them much closer to the N(0, I) prior. Both runs start from the same weights; the
// plain one has the discriminator and generator steps frozen (learning rate 0).
TEST(AdversarialAutoencoder, TrainingMovesCodesTowardThePrior) {
  torch::manual_seed(6);
  auto a = torch::randn({2, 16}) * 2.0, c = torch::randn({16});
  auto data = torch::sigmoid(torch::mm(torch::randn({2048, 2}), a) + c);
  auto train = [&](const std::map<std::string, double>& lr) {
    torch::manual_seed(7);
    auto model = std::dynamic_pointer_cast<AdversarialAutoencoder>(make_model(small_aae("gaussian", 2)));
    Optimizers opt = adam_for(*model, lr);
    for (int epoch = 0; epoch < 20; ++epoch)
      for (int64_t b = 0; b < 2048; b += 64) model->train_step(data.narrow(0, b, 64), {}, opt);
    torch::manual_seed(99);
    torch::NoGradGuard no_grad;
    auto codes = model->encode(data);
    return mmd_rbf(codes, model->prior().sample(2048, codes.options()), default_bandwidths2(2)).item<double>();
  };
  const double adversarial = train({});
  const double plain = train({{"discriminator", 0.0}, {"generator", 0.0}});
  EXPECT_LT(adversarial, 0.25 * plain) << "MMD to the prior: adversarial " << adversarial
                                      << ", reconstruction only " << plain;
}

}  // namespace
}  // namespace latentkit
