// measure_model (eval/comparison.h): each column of a comparison row against a direct
// computation on the same model and data, and the columns a kind's traits leave out.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "latentkit/catalog/catalog.h"
#include "latentkit/eval/comparison.h"
#include "latentkit/models/network.h"
#include "latentkit/models/gmm.h"
#include "latentkit/models/vqvae.h"
#include "latentkit/util/rng.h"

namespace latentkit {
namespace {

// Two classes of 12-D rows in [0, 1]: class c has its first half of the columns near c.
Split make_split(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  auto y = torch::randint(2, {n}, torch::kLong);
  auto x = 0.3 * torch::rand({n, 12}) + 0.35;
  x.narrow(1, 0, 6).add_((y.to(torch::kFloat32).unsqueeze(1) - 0.5) * 0.5);
  return Split{x.clamp(0, 1), y};
}

Dataset make_data() {
  Dataset d;
  d.name = "two classes";
  d.train = make_split(120, 1);
  d.test = make_split(40, 2);
  return d;
}

ModelConfig small(const std::string& kind) {
  ModelConfig c = default_config(kind);
  c.input_dim = 12;
  if (auto* net = c.options.find<NetworkOptions>()) {
    net->hidden = {8};
    net->latent_dim = 4;
  }
  return c;
}

MeasureOptions options() {
  MeasureOptions o;
  o.k = 3;
  o.fd_samples = 20;
  o.gmm_components = 2;
  o.knn_k = 1;  // one neighbour: no ties to break, so a brute-force nearest neighbour agrees
  return o;
}

// The accuracy of labelling each test code with the label of its nearest training code.
double nearest_neighbour_accuracy(const torch::Tensor& train, const torch::Tensor& train_y,
                                  const torch::Tensor& test, const torch::Tensor& test_y) {
  int64_t right = 0;
  for (int64_t i = 0; i < test.size(0); ++i) {
    const auto d = (train.to(torch::kFloat64) - test[i].to(torch::kFloat64)).pow(2).sum(1);
    right += train_y[d.argmin().item<int64_t>()].item<int64_t>() == test_y[i].item<int64_t>();
  }
  return static_cast<double>(right) / test.size(0);
}

TEST(Comparison, AutoencoderColumnsMatchDirectComputations) {
  seed_everything(3);
  auto model = make_model(small("ae"));
  model->eval();
  const Dataset data = make_data();
  const Measurement m = measure_model(*model, data, options(), nullptr);
  torch::NoGradGuard no_grad;
  const auto x = data.test.x;
  const double mse = (model->reconstruct(x) - x).pow(2).sum(1).mean().item<double>();
  EXPECT_NEAR(m.row.mse, mse, 1e-5 * std::max(1.0, mse));
  EXPECT_EQ(m.row.parameters, model->parameter_count());
  EXPECT_EQ(m.row.nll_kind, NllKind::None);
  EXPECT_TRUE(std::isnan(m.row.nll_nats));
  // No prior: samples decode draws of a Gaussian fitted to the codes; no features, no distances.
  EXPECT_EQ(m.row.prior_sampler, "gaussian");
  ASSERT_TRUE(m.samples.defined());
  EXPECT_EQ(m.samples.sizes(), (std::vector<int64_t>{20, 12}));
  EXPECT_TRUE(std::isnan(m.row.fd_prior));
  EXPECT_TRUE(std::isnan(m.row.fd_gmm));
  const auto train_codes = model->encode(data.train.x), test_codes = model->encode(x);
  EXPECT_DOUBLE_EQ(m.row.knn_accuracy, nearest_neighbour_accuracy(train_codes, data.train.y, test_codes, data.test.y));
  ASSERT_TRUE(m.test_codes.defined());
  EXPECT_TRUE(torch::allclose(m.test_codes, test_codes, 1e-5, 1e-6));
}

TEST(Comparison, VaeLikelihoodIsAnIwaeBoundOfModelSpace) {
  seed_everything(4);
  auto model = make_model(small("vae"));
  model->eval();
  const Dataset data = make_data();
  const Measurement m = measure_model(*model, data, options(), nullptr);
  EXPECT_EQ(m.row.nll_kind, NllKind::IwaeBound);
  EXPECT_EQ(m.row.iwae_k, 3);
  EXPECT_TRUE(m.row.nll_on_8bit_scale);  // tabular data: every likelihood is on model space
  EXPECT_EQ(m.row.prior_sampler, "prior");
  // The IWAE estimate with k = 3 (other draws: evaluation draws noise for the loss terms too).
  torch::NoGradGuard no_grad;
  ScopedSeed seed(torch::kCPU, options().seed);
  const double nll = -model->log_likelihood(data.test.x, 3).mean().item<double>();
  EXPECT_NEAR(m.row.nll_nats, nll, 0.02 * std::abs(nll));
  EXPECT_NEAR(m.row.bits_per_dim, m.row.nll_nats / (12 * std::log(2.0)), 1e-9);
}

TEST(Comparison, MixtureHasAnExactLikelihoodAndNoReconstruction) {
  seed_everything(5);
  ModelConfig c = small("gmm");
  c.get<MixtureOptions>().gmm_components = 2;
  auto model = make_model(c);
  const Dataset data = make_data();
  // One EM iteration so the mixture is not its initial state.
  Optimizers none;
  model->train();
  model->train_step(data.train.x, {}, none);
  model->end_epoch();
  model->eval();
  const Measurement m = measure_model(*model, data, options(), nullptr);
  EXPECT_TRUE(std::isnan(m.row.mse));
  EXPECT_EQ(m.row.nll_kind, NllKind::Exact);
  torch::NoGradGuard no_grad;
  const double nll = -model->log_likelihood(data.test.x, 1).mean().item<double>();
  EXPECT_NEAR(m.row.nll_nats, nll, 1e-5 * std::abs(nll));
  // Responsibilities are not points to decode: no code samplers; the kNN column and the latent
  // map use whatever encode() gives (K responsibilities).
  EXPECT_TRUE(std::isnan(m.row.fd_gmm));
  ASSERT_TRUE(m.test_codes.defined());
  EXPECT_EQ(m.test_codes.size(1), 2);
  const auto train_codes = model->encode(data.train.x), test_codes = model->encode(data.test.x);
  EXPECT_DOUBLE_EQ(m.row.knn_accuracy, nearest_neighbour_accuracy(train_codes, data.train.y, test_codes, data.test.y));
}

TEST(Comparison, DiscreteCodesGetNoKnnOrLatentMap) {
  seed_everything(6);
  ModelConfig c = small("vqvae");
  c.get<VqOptions>().code_dim = 2;
  auto model = make_model(c);
  model->eval();
  const Measurement m = measure_model(*model, make_data(), options(), nullptr);
  EXPECT_FALSE(std::isnan(m.row.mse));
  EXPECT_TRUE(std::isnan(m.row.knn_accuracy));
  EXPECT_FALSE(m.test_codes.defined());
  EXPECT_EQ(m.row.prior_sampler, "prior");
}

TEST(Comparison, ReferenceKnnOfRawInputs) {
  const Dataset data = make_data();
  const ComparisonReference ref = measure_reference(data, options(), nullptr);
  EXPECT_DOUBLE_EQ(ref.knn_pixels, nearest_neighbour_accuracy(data.train.x, data.train.y, data.test.x, data.test.y));
  EXPECT_TRUE(std::isnan(ref.fd_real));
}

}  // namespace
}  // namespace latentkit
