// Restricted Boltzmann machines (rbm_layer.h, rbm.h): the free energy and the CD-1 gradient of a
// tiny RBM (6 visible, 4 hidden) against brute-force sums over all its states, Gaussian hidden
// units against numerical integration, the momentum update against its formula, and an rbm that
// learns.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "latentkit/catalog/catalog.h"
#include "latentkit/models/model.h"
#include "latentkit/models/rbm.h"
#include "latentkit/models/rbm_layer.h"

namespace latentkit {
namespace rbm_test {

constexpr int64_t kV = 6, kH = 4;

double sigmoid(double a) { return 1.0 / (1.0 + std::exp(-a)); }

// A float64 RBM with weights large enough that the hidden units are far from uniform.
std::shared_ptr<RBMLayer> tiny_rbm(bool gaussian_hidden, uint64_t seed) {
  torch::manual_seed(seed);
  auto rbm = std::make_shared<RBMLayer>(kV, kH, gaussian_hidden);
  rbm->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  rbm->weight.copy_(torch::randn({kH, kV}, torch::kFloat64) * 0.8);
  rbm->visible_bias.copy_(torch::randn({kV}, torch::kFloat64) * 0.5);
  rbm->hidden_bias.copy_(torch::randn({kH}, torch::kFloat64) * 0.5);
  return rbm;
}

struct Params {
  std::vector<std::vector<double>> w;  // [H][V]
  std::vector<double> b, c;            // [V], [H]
};

Params params_of(const RBMLayer& rbm) {
  Params p;
  auto w = rbm.weight.detach().contiguous();
  for (int64_t j = 0; j < kH; ++j) {
    p.w.emplace_back();
    for (int64_t i = 0; i < kV; ++i) p.w[j].push_back(w[j][i].item<double>());
    p.c.push_back(rbm.hidden_bias[j].item<double>());
  }
  for (int64_t i = 0; i < kV; ++i) p.b.push_back(rbm.visible_bias[i].item<double>());
  return p;
}

// The binary state with index `bits` of n units.
std::vector<double> state(int bits, int n) {
  std::vector<double> s(n);
  for (int k = 0; k < n; ++k) s[k] = (bits >> k) & 1;
  return s;
}

double energy(const Params& p, const std::vector<double>& v, const std::vector<double>& h) {
  double e = 0;
  for (int i = 0; i < kV; ++i) e -= p.b[i] * v[i];
  for (int j = 0; j < kH; ++j) {
    e -= p.c[j] * h[j];
    for (int i = 0; i < kV; ++i) e -= h[j] * p.w[j][i] * v[i];
  }
  return e;
}

TEST(RBMLayer, FreeEnergyEqualsLogSumOverAllHiddenStates) {
  auto rbm_ptr = tiny_rbm(false, 1);
  RBMLayer& rbm = *rbm_ptr;
  Params p = params_of(rbm);
  // Every binary visible vector, plus a few grey ones (CD feeds probabilities as data).
  std::vector<std::vector<double>> vs;
  for (int bits = 0; bits < (1 << kV); ++bits) vs.push_back(state(bits, kV));
  vs.push_back({0.1, 0.9, 0.5, 0.3, 0.7, 0.2});
  vs.push_back({0.5, 0.5, 0.5, 0.5, 0.5, 0.5});
  auto v = torch::empty({static_cast<int64_t>(vs.size()), kV}, torch::kFloat64);
  for (size_t r = 0; r < vs.size(); ++r)
    for (int i = 0; i < kV; ++i) v[r][i] = vs[r][i];
  auto f = rbm.free_energy(v);
  for (size_t r = 0; r < vs.size(); ++r) {
    double z = 0;
    for (int hb = 0; hb < (1 << kH); ++hb) z += std::exp(-energy(p, vs[r], state(hb, kH)));
    EXPECT_NEAR(f[r].item<double>(), -std::log(z), 1e-12) << "visible vector " << r;
  }
}

TEST(RBMLayer, GaussianFreeEnergyEqualsNumericalIntegral) {
  auto rbm_ptr = tiny_rbm(true, 2);
  RBMLayer& rbm = *rbm_ptr;
  Params p = params_of(rbm);
  const std::vector<double> v{1, 0, 1, 1, 0, 0.5};
  auto f = rbm.free_energy(torch::tensor(v, torch::kFloat64).view({1, kV})).item<double>();
  // exp(-F(v)) = exp(b.v) prod_j int exp(a_j h - h^2 / 2) dh, each integral by the trapezoid
  // rule on [-30, 30] (the integrand is negligible outside for |a_j| < 5).
  double log_integral = 0;
  for (int i = 0; i < kV; ++i) log_integral += p.b[i] * v[i];
  for (int j = 0; j < kH; ++j) {
    double a = p.c[j];
    for (int i = 0; i < kV; ++i) a += p.w[j][i] * v[i];
    ASSERT_LT(std::abs(a), 5.0);
    const double step = 1e-3;
    double sum = 0;
    for (double h = -30; h <= 30; h += step) sum += std::exp(a * h - 0.5 * h * h) * step;
    log_integral += std::log(sum);
  }
  EXPECT_NEAR(f, -log_integral, 1e-6);
}

TEST(RBMLayer, MeanOfCd1GradientEqualsBruteForceExpectation) {
  auto rbm_ptr = tiny_rbm(false, 3);
  RBMLayer& rbm = *rbm_ptr;
  Params p = params_of(rbm);
  const std::vector<double> v0{1, 0, 1, 0.4, 0, 1};
  // Expected CD-1 statistics for one data vector v0:
  //   positive: v0 (x) p(h|v0);  negative: sum_h p(h|v0) v'(h) (x) p(h'|v'(h)),
  // where v'(h) = sigmoid(b + W^T h) is the mean-field reconstruction from the sampled h.
  std::vector<double> ph0(kH);
  for (int j = 0; j < kH; ++j) {
    double a = p.c[j];
    for (int i = 0; i < kV; ++i) a += p.w[j][i] * v0[i];
    ph0[j] = sigmoid(a);
  }
  std::vector<std::vector<double>> gw(kH, std::vector<double>(kV, 0.0));
  std::vector<double> gb(kV, 0.0), gc(kH, 0.0);
  for (int j = 0; j < kH; ++j) {
    gc[j] += ph0[j];
    for (int i = 0; i < kV; ++i) gw[j][i] += ph0[j] * v0[i];
  }
  for (int i = 0; i < kV; ++i) gb[i] += v0[i];
  for (int hb = 0; hb < (1 << kH); ++hb) {
    auto h = state(hb, kH);
    double prob = 1;
    for (int j = 0; j < kH; ++j) prob *= h[j] > 0 ? ph0[j] : 1 - ph0[j];
    std::vector<double> v1(kV);
    for (int i = 0; i < kV; ++i) {
      double a = p.b[i];
      for (int j = 0; j < kH; ++j) a += p.w[j][i] * h[j];
      v1[i] = sigmoid(a);
      gb[i] -= prob * v1[i];
    }
    for (int j = 0; j < kH; ++j) {
      double a = p.c[j];
      for (int i = 0; i < kV; ++i) a += p.w[j][i] * v1[i];
      const double ph1 = sigmoid(a);
      gc[j] -= prob * ph1;
      for (int i = 0; i < kV; ++i) gw[j][i] -= prob * ph1 * v1[i];
    }
  }
  // The CD estimate on 200,000 copies of v0 averages the sampled chains; every statistic lies in
  // [-1, 1], so its standard error is below 1 / sqrt(200000) = 0.0022.
  torch::manual_seed(4);
  auto batch = torch::tensor(v0, torch::kFloat64).view({1, kV}).expand({200000, kV}).contiguous();
  auto g = rbm.cd_gradient(batch, 1);
  for (int j = 0; j < kH; ++j) {
    EXPECT_NEAR(g.hidden_bias[j].item<double>(), gc[j], 0.009);
    for (int i = 0; i < kV; ++i) EXPECT_NEAR(g.weight[j][i].item<double>(), gw[j][i], 0.009);
  }
  for (int i = 0; i < kV; ++i) EXPECT_NEAR(g.visible_bias[i].item<double>(), gb[i], 0.009);
}

TEST(RBMLayer, UpdateFollowsMomentumAndWeightDecayFormula) {
  auto rbm_ptr = tiny_rbm(false, 5);
  RBMLayer& rbm = *rbm_ptr;
  auto w0 = rbm.weight.detach().clone(), b0 = rbm.visible_bias.detach().clone();
  RBMLayer::Gradient g{torch::full({kH, kV}, 0.3, torch::kFloat64),
                       torch::full({kV}, -0.2, torch::kFloat64), torch::zeros({kH}, torch::kFloat64),
                       {}};
  const double lr = 0.1, m = 0.9, wd = 0.01;
  rbm.apply_update(g, lr, m, wd);
  auto v1 = lr * (0.3 - wd * w0);
  auto w1 = w0 + v1;
  EXPECT_TRUE(torch::allclose(rbm.weight.detach(), w1, 1e-12, 1e-14));
  rbm.apply_update(g, lr, m, wd);
  auto w2 = w1 + m * v1 + lr * (0.3 - wd * w1);
  EXPECT_TRUE(torch::allclose(rbm.weight.detach(), w2, 1e-12, 1e-14));
  // Biases get momentum but no decay: two steps move b by lr * g * (1 + (1 + m)).
  EXPECT_TRUE(torch::allclose(rbm.visible_bias.detach(), b0 + lr * -0.2 * (2 + m), 1e-12, 1e-14));
}

TEST(RBMLayer, GaussianHiddenUnitsAreLinearWithUnitNoise) {
  auto rbm_ptr = tiny_rbm(true, 6);
  RBMLayer& rbm = *rbm_ptr;
  auto v = torch::rand({3, kV}, torch::kFloat64);
  auto mean = rbm.hidden_mean(v);
  EXPECT_TRUE(torch::allclose(mean, torch::addmm(rbm.hidden_bias, v, rbm.weight.t())));
  torch::manual_seed(7);
  auto draws = rbm.sample_hidden(mean.narrow(0, 0, 1).expand({100000, kH}));
  EXPECT_TRUE(torch::allclose(draws.mean(0), mean[0], 0, 0.02));
  EXPECT_TRUE(torch::allclose(draws.var(0), torch::ones({kH}, torch::kFloat64), 0, 0.03));
}

// Data from two binary prototypes with 5% of the bits flipped.
torch::Tensor two_prototypes(int64_t n) {
  auto proto = torch::zeros({2, 16});
  proto[0].narrow(0, 0, 8).fill_(1);
  proto[1].narrow(0, 8, 8).fill_(1);
  auto x = proto.index_select(0, torch::randint(2, {n}, torch::kLong));
  auto flip = torch::bernoulli(torch::full_like(x, 0.05));
  return (x - flip).abs();
}

TEST(RBMModel, CdTrainingLowersReconstructionErrorAndFreeEnergyOfData) {
  torch::manual_seed(8);
  ModelConfig c = default_config("rbm");
  c.input_dim = 16;
  c.get<RbmOptions>().latent_dim = 8;
  c.get<RbmOptions>().gibbs_steps = 200;
  auto model = make_model(c);
  auto data = two_prototypes(512);
  auto noise = torch::bernoulli(torch::full({512, 16}, 0.5));  // patterns unlike the data
  auto before = model->losses(data);
  Optimizers none;
  for (int epoch = 0; epoch < 30; ++epoch)
    for (int64_t b = 0; b < 512; b += 64) {
      model->set_training_progress(epoch);
      model->train_step(data.narrow(0, b, 64), {}, none);
    }
  auto after = model->losses(data);
  EXPECT_LT(after.at("recon").item<double>(), 0.5 * before.at("recon").item<double>());
  // The data's free energy falls relative to that of random patterns: p(data) / p(noise) grows.
  auto& rbm = dynamic_cast<RBM&>(*model).layer();
  const double gap = (rbm.free_energy(noise).mean() - rbm.free_energy(data).mean()).item<double>();
  EXPECT_GT(gap, 5.0);
  // Gibbs samples look like the prototypes: most bits of each half agree.
  auto s = model->sample(200).round();
  auto first = s.narrow(1, 0, 8).mean(1), second = s.narrow(1, 8, 8).mean(1);
  auto like_a_prototype = ((first > 0.75) & (second < 0.25)) | ((first < 0.25) & (second > 0.75));
  EXPECT_GT(like_a_prototype.to(torch::kFloat64).mean().item<double>(), 0.8);
}

}  // namespace
}  // namespace latentkit
