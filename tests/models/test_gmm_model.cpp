// The gmm kind: one Trainer epoch is one EM step computed by hand (explicit densities, loops);
// the training NLL of exact EM never rises; a checkpoint keeps log_prob; on images the
// log-likelihood is the dequantisation bound log p(y) - D log 256.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "latentkit/catalog/catalog.h"
#include "latentkit/stats/dequantize.h"
#include "latentkit/models/gmm.h"
#include "latentkit/train/checkpoint.h"
#include "latentkit/train/trainer.h"
#include "latentkit/util/rng.h"

namespace gmm_model_test {

using namespace latentkit;
namespace fs = std::filesystem;

// Two 2-D clusters, unscaled (model space = raw values).
Dataset cluster_dataset() {
  torch::manual_seed(40);
  auto make = [](int64_t n) {
    auto y = torch::randint(0, 2, {n}, torch::kLong);
    auto centres = torch::tensor({-2.0f, 0.0f, 2.0f, 1.0f}).view({2, 2});
    return Split{centres.index_select(0, y) + 0.7 * torch::randn({n, 2}), y};
  };
  Dataset d;
  d.name = "clusters";
  d.train = make(90);
  d.test = make(30);
  d.preprocess.scaling = Scaling::None;
  d.preprocess.offset = torch::zeros({2});
  d.preprocess.scale = torch::ones({2});
  return d;
}

RunConfig gmm_config(const std::string& covariance, int64_t epochs) {
  RunConfig c;
  c.data.source = "moons";  // recorded only: the test hands the Trainer its data
  c.data.scaling = "none";
  c.model = default_config("gmm");
  c.model.input_dim = 2;
  c.model.get<MixtureOptions>().gmm_components = 2;
  c.model.get<MixtureOptions>().gmm_covariance = covariance;
  c.model.get<MixtureOptions>().variance_floor = 1e-6;
  c.train.epochs = epochs;
  c.train.batch_size = 16;  // 90 rows: the last batch is short
  c.train.seed = 3;
  return c;
}

std::string run_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("latentkit_gmm_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  return dir.string();
}

GaussianMixture start_mixture(CovarianceType type) {
  GaussianMixture m;
  m.covariance = type;
  m.weights = torch::tensor({0.4, 0.6}, torch::kFloat64);
  m.means = torch::tensor({-1.0, 0.5, 1.0, 0.0}, torch::kFloat64).view({2, 2});
  m.covariances = type == CovarianceType::Diagonal
                      ? torch::tensor({1.0, 2.0, 0.5, 1.0}, torch::kFloat64).view({2, 2})
                      : torch::tensor({1.0, 0.3, 0.3, 2.0, 0.5, -0.1, -0.1, 1.0}, torch::kFloat64).view({2, 2, 2});
  return m;
}

// One EM step by hand: responsibilities from the explicit 2-D Gaussian density, then weighted
// means and covariances (centred, not via sums of squares). Returns the new mixture and the
// mean log-likelihood under `m`.
std::pair<GaussianMixture, double> hand_em_step(const GaussianMixture& m, const torch::Tensor& x_in) {
  auto x = x_in.to(torch::kFloat64);
  const int64_t N = x.size(0), K = 2;
  const bool diag = m.covariance == CovarianceType::Diagonal;
  std::vector<std::vector<double>> r(N, std::vector<double>(K));
  double ll = 0;
  for (int64_t n = 0; n < N; ++n) {
    double total = 0;
    for (int64_t k = 0; k < K; ++k) {
      auto cov = diag ? torch::diag(m.covariances[k]) : m.covariances[k];
      const double a = cov[0][0].item<double>(), b = cov[0][1].item<double>(), d = cov[1][1].item<double>();
      const double det = a * d - b * b;
      const double u = x[n][0].item<double>() - m.means[k][0].item<double>();
      const double v = x[n][1].item<double>() - m.means[k][1].item<double>();
      const double q = (d * u * u - 2 * b * u * v + a * v * v) / det;
      r[n][k] = m.weights[k].item<double>() * std::exp(-0.5 * q) / (2 * M_PI * std::sqrt(det));
      total += r[n][k];
    }
    for (int64_t k = 0; k < K; ++k) r[n][k] /= total;
    ll += std::log(total);
  }
  GaussianMixture out;
  out.covariance = m.covariance;
  out.weights = torch::zeros({K}, torch::kFloat64);
  out.means = torch::zeros({K, 2}, torch::kFloat64);
  out.covariances = diag ? torch::zeros({K, 2}, torch::kFloat64) : torch::zeros({K, 2, 2}, torch::kFloat64);
  for (int64_t k = 0; k < K; ++k) {
    double nk = 0, mx = 0, my = 0;
    for (int64_t n = 0; n < N; ++n) {
      nk += r[n][k];
      mx += r[n][k] * x[n][0].item<double>();
      my += r[n][k] * x[n][1].item<double>();
    }
    mx /= nk;
    my /= nk;
    double sxx = 0, sxy = 0, syy = 0;
    for (int64_t n = 0; n < N; ++n) {
      const double u = x[n][0].item<double>() - mx, v = x[n][1].item<double>() - my;
      sxx += r[n][k] * u * u;
      sxy += r[n][k] * u * v;
      syy += r[n][k] * v * v;
    }
    out.weights[k] = nk / N;
    out.means[k][0] = mx;
    out.means[k][1] = my;
    if (diag) {
      out.covariances[k][0] = sxx / nk;
      out.covariances[k][1] = syy / nk;
    } else {
      out.covariances[k][0][0] = sxx / nk;
      out.covariances[k][0][1] = sxy / nk;
      out.covariances[k][1][0] = sxy / nk;
      out.covariances[k][1][1] = syy / nk;
    }
  }
  return {out, ll / N};
}

std::vector<nlohmann::json> read_metrics(const std::string& dir) {
  std::ifstream in(dir + "/metrics.jsonl");
  std::vector<nlohmann::json> lines;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST(GmmModel, OneTrainerEpochEqualsAHandEmStep) {
  for (const std::string cov : {"diag", "full"}) {
    const RunConfig cfg = gmm_config(cov, 1);
    auto model = std::make_shared<GaussianMixtureModel>(cfg.model);
    const GaussianMixture start = start_mixture(parse_covariance_type(cov, "cov"));
    model->set_mixture(start);
    const Dataset data = cluster_dataset();
    auto [expected, ll] = hand_em_step(start, data.train.x);
    const std::string dir = run_dir("em-" + cov);
    Trainer trainer(cfg, data, model, dir, TrainerOptions{true, false, nullptr});
    ASSERT_TRUE(trainer.run());
    GaussianMixture got = model->mixture();
    EXPECT_TRUE(torch::allclose(got.weights, expected.weights, 1e-10, 1e-12)) << cov;
    EXPECT_TRUE(torch::allclose(got.means, expected.means, 1e-10, 1e-12)) << cov;
    EXPECT_TRUE(torch::allclose(got.covariances, expected.covariances, 1e-9, 1e-12)) << cov;
    // The epoch's training loss is the NLL under the parameters the epoch started with.
    auto m = read_metrics(dir);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_NEAR(m[0]["train"]["loss"].get<double>(), -ll, 1e-5) << cov;
    // The statistics were cleared for the next epoch.
    EXPECT_EQ(model->statistics().count.sum().item<double>(), 0.0);
  }
}

TEST(GmmModel, ExactEmNeverRaisesTheTrainingNll) {
  const RunConfig cfg = gmm_config("full", 6);
  auto model = std::make_shared<GaussianMixtureModel>(cfg.model);
  const std::string dir = run_dir("monotone");
  Trainer trainer(cfg, cluster_dataset(), model, dir, TrainerOptions{true, false, nullptr});
  ASSERT_TRUE(trainer.run());
  EXPECT_TRUE(model->initialised());
  auto m = read_metrics(dir);
  ASSERT_EQ(m.size(), 6u);
  for (size_t i = 1; i < m.size(); ++i)
    EXPECT_LE(m[i]["train"]["loss"].get<double>(), m[i - 1]["train"]["loss"].get<double>() + 1e-6) << i;
}

TEST(GmmModel, CheckpointRoundTripKeepsLogProb) {
  const RunConfig cfg = gmm_config("full", 2);
  auto model = std::make_shared<GaussianMixtureModel>(cfg.model);
  const std::string dir = run_dir("checkpoint");
  const Dataset data = cluster_dataset();
  Trainer trainer(cfg, data, model, dir, TrainerOptions{true, false, nullptr});
  ASSERT_TRUE(trainer.run());
  Checkpoint ck = load_checkpoint(dir + "/checkpoints/last.pt");
  auto loaded = make_model(ck.config.model);
  load_model_state(*loaded, ck.model, "last.pt");
  auto before = model->log_likelihood(data.test.x);
  auto after = loaded->log_likelihood(data.test.x, 1);
  EXPECT_TRUE(torch::allclose(before, after, 0, 0));
  // encode gives responsibilities; reconstruct the mean of the most responsible component.
  auto r = loaded->encode(data.test.x);
  EXPECT_TRUE(torch::allclose(r.sum(1), torch::ones({data.test.size()}), 1e-5, 1e-6));
  auto best = r.argmax(1);
  auto means = static_cast<GaussianMixtureModel&>(*loaded).mixture().means.to(torch::kFloat32);
  EXPECT_TRUE(torch::allclose(loaded->reconstruct(data.test.x), means.index_select(0, best)));
}

TEST(GmmModel, ImageLikelihoodIsTheDequantisationBound) {
  ModelConfig mc = default_config("gmm");
  mc.input_dim = 4;
  mc.image_shape = {1, 2, 2};
  mc.get<MixtureOptions>().gmm_components = 2;
  mc.get<MixtureOptions>().gmm_covariance = "diag";
  GaussianMixtureModel model(mc);
  GaussianMixture m;
  m.covariance = CovarianceType::Diagonal;
  m.weights = torch::tensor({0.3, 0.7}, torch::kFloat64);
  m.means = torch::rand({2, 4}, torch::kFloat64);
  m.covariances = torch::rand({2, 4}, torch::kFloat64) * 0.1 + 0.01;
  model.set_mixture(m);
  EXPECT_TRUE(model.log_likelihood_is_bound());
  auto x = torch::randint(0, 256, {5, 4}).to(torch::kFloat32) / 255;
  torch::Tensor got, u;
  {
    ScopedSeed seed(torch::kCPU, 9);
    got = model.log_likelihood(x);
  }
  {
    ScopedSeed seed(torch::kCPU, 9);
    u = torch::rand_like(x);
  }
  auto y = (torch::round(x * 255) + u).to(torch::kFloat64) / 256;
  auto expected = m.log_prob(y) - 4 * std::log(256.0);
  EXPECT_TRUE(torch::allclose(got.to(torch::kFloat64), expected, 1e-5, 1e-4));
}

}  // namespace gmm_model_test
