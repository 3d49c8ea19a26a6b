// Flow models as a whole: invertibility of every kind, the whole map's logdet against a brute-force
// Jacobian, the LU 1x1 convolution against the plain one, ActNorm's data-dependent initialisation,
// bits/dim against a hand computation, and a trained 2-D flow whose density integrates to 1.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "jacobian.h"
#include "latentkit/flows/flow_architectures.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/data/synthetic.h"
#include "latentkit/error.h"
#include "latentkit/eval/evaluate.h"
#include "latentkit/flows/actnorm.h"
#include "latentkit/viz/density_grid.h"
#include "latentkit/flows/flow_model.h"
#include "latentkit/flows/invertible_conv.h"
#include "latentkit/train/checkpoint.h"

using namespace latentkit;
using latentkit::testing::brute_force_logdet;
using latentkit::testing::randomize;

namespace flow_models_test {

ModelConfig tiny(const std::string& kind, int64_t channels = 1) {
  ModelConfig c = default_config(kind);
  if (auto* flow = c.options.find<FlowOptions>()) {  // the per-pixel Gaussian has no couplings
    flow->flow_steps = 2;
    flow->flow_hidden = 6;
  }
  if (auto* scales = c.options.find<MultiScaleOptions>()) scales->flow_scales = 2;
  if (kind == "flow2d") {
    c.input_dim = 2;
  } else if (kind == "flow") {
    c.input_dim = 5;
  } else {
    c.input_dim = channels * 16;
    c.image_shape = {channels, 4, 4};
  }
  return c;
}

const std::vector<std::string> kKinds = {"nice", "realnvp", "glow", "gaussian", "flow2d", "flow"};

std::shared_ptr<FlowModel> tiny_model(const std::string& kind, torch::Dtype dtype,
                                      int64_t channels = 1) {
  torch::manual_seed(7);
  auto m = std::dynamic_pointer_cast<FlowModel>(make_model(tiny(kind, channels)));
  randomize(*m, 0.2);
  m->to(dtype);
  m->eval();
  return m;
}

// The continuous variable each kind models: y in (0, 1) for images, x for vectors.
torch::Tensor continuous_inputs(const FlowModel& m, int64_t n, torch::Dtype dtype) {
  const int64_t d = m.config().input_dim;
  auto v = m.image() ? torch::rand({n, d}, torch::kFloat64) : torch::randn({n, d}, torch::kFloat64);
  return v.to(dtype);
}


TEST(FlowModels, InverseUndoesTheWholeMap) {
  for (const auto& kind : kKinds) {
    SCOPED_TRACE(kind);
    for (auto [dtype, tol] : {std::pair{torch::kFloat64, 1e-10}, std::pair{torch::kFloat32, 1e-4}}) {
      auto m = tiny_model(kind, dtype);
      torch::NoGradGuard no_grad;
      auto v = continuous_inputs(*m, 4, dtype);
      auto z = m->transform(v).y;
      ASSERT_EQ(z.sizes(), v.sizes());
      EXPECT_LT((m->inverse_transform(z) - v).abs().max().item<double>(), tol);
    }
  }
}

TEST(FlowModels, ImagesDecodeToTheirExactLevels) {
  for (const std::string kind : {"nice", "realnvp", "glow", "gaussian"}) {
    SCOPED_TRACE(kind);
    auto m = tiny_model(kind, torch::kFloat32);
    torch::NoGradGuard no_grad;
    auto x = torch::randint(0, 256, {4, 16}).to(torch::kFloat32) / 255;
    EXPECT_TRUE(torch::equal(m->decode(m->encode(x)), x));
  }
}

TEST(FlowModels, LogDensityIsBaseDensityPlusBruteForceLogDet) {
  for (const auto& kind : kKinds) {
    SCOPED_TRACE(kind);
    auto m = tiny_model(kind, torch::kFloat64);
    auto v = continuous_inputs(*m, 3, torch::kFloat64);
    auto logdet = brute_force_logdet([&](const torch::Tensor& t) { return m->transform(t).y; }, v);
    torch::NoGradGuard no_grad;
    auto z = m->transform(v).y;
    // log N(z; 0, I) written out independently of standard_normal_log_prob.
    const double d = static_cast<double>(v.size(1));
    auto base = -0.5 * (z * z).sum(1) - 0.5 * d * std::log(2 * M_PI);
    EXPECT_LT((m->log_density(v) - (base + logdet)).abs().max().item<double>(), 1e-8);
  }
}

TEST(FlowModels, ColourImagesLogDensityIsBaseDensityPlusBruteForceLogDet) {
  for (const std::string kind : {"nice", "realnvp", "glow", "gaussian"}) {
    SCOPED_TRACE(kind);
    auto m = tiny_model(kind, torch::kFloat64, 3);  // 3x4x4: 12 channels after a squeeze
    auto v = continuous_inputs(*m, 2, torch::kFloat64);
    auto logdet = brute_force_logdet([&](const torch::Tensor& t) { return m->transform(t).y; }, v);
    torch::NoGradGuard no_grad;
    auto z = m->transform(v).y;
    const double d = static_cast<double>(v.size(1));
    auto base = -0.5 * (z * z).sum(1) - 0.5 * d * std::log(2 * M_PI);
    EXPECT_LT((m->log_density(v) - (base + logdet)).abs().max().item<double>(), 1e-8);
    EXPECT_LT((m->inverse_transform(z) - v).abs().max().item<double>(), 1e-10);
  }
}

TEST(FlowModels, LuConvolutionLogDetEqualsPlainSlogdet) {
  torch::manual_seed(5);
  InvertibleConv lu(6, true), plain(6, false);
  randomize(lu, 0.5);
  lu.to(torch::kFloat64);
  plain.to(torch::kFloat64);
  {
    torch::NoGradGuard no_grad;
    plain.named_parameters()["weight"].copy_(lu.weight());
  }
  auto x = torch::randn({2, 6, 3, 3}, torch::kFloat64);
  auto a = lu.forward(x), b = plain.forward(x);
  EXPECT_LT((a.y - b.y).abs().max().item<double>(), 1e-12);
  const double slogdet = std::get<1>(torch::linalg::slogdet(lu.weight())).item<double>();
  EXPECT_NEAR(lu.log_abs_det().item<double>(), slogdet, 1e-10);
  EXPECT_NEAR(a.logdet[0].item<double>(), 9 * slogdet, 1e-9);  // 3x3 positions
  EXPECT_NEAR(b.logdet[1].item<double>(), 9 * slogdet, 1e-9);
}

TEST(FlowModels, ActNormInitialisesOnTheFirstTrainingBatchOnly) {
  torch::manual_seed(1);
  ActNorm norm(3, true);
  auto x = torch::randn({16, 3, 4, 4}) * torch::tensor({0.5f, 2.f, 7.f}).view({1, 3, 1, 1}) + 3;
  norm.eval();
  norm.forward(x);
  EXPECT_FALSE(norm.initialized()) << "evaluation does not initialise";
  norm.train();
  auto y = norm.forward(x).y;
  ASSERT_TRUE(norm.initialized());
  auto mean = y.mean({0, 2, 3}), sd = y.std({0, 2, 3}, /*unbiased=*/false);
  EXPECT_LT(mean.abs().max().item<double>(), 1e-5);
  EXPECT_LT((sd - 1).abs().max().item<double>(), 1e-4);
  auto loc = norm.loc.clone();
  norm.forward(x * 10);
  EXPECT_TRUE(torch::equal(norm.loc, loc)) << "a second batch does not re-initialise";

  // The flag travels with the weights: a model loaded from a checkpoint's state keeps them.
  auto config = tiny("glow");
  torch::manual_seed(2);
  auto trained = make_model(config);
  trained->train();
  trained->losses(torch::rand({8, 16}));
  auto state = model_state(*trained);
  auto loaded = make_model(config);
  load_model_state(*loaded, state, "test");
  loaded->train();
  loaded->losses(torch::rand({8, 16}) * 0.1);
  for (const auto& [name, t] : model_state(*loaded))
    EXPECT_TRUE(torch::equal(t, state.at(name))) << name << " changed by a training pass";
}

TEST(FlowModels, BitsPerDimMatchesHandComputation) {
  // A per-pixel Gaussian with mean 0 and sd 1000 on D = 16 dims: log p_y(y) = sum of
  // -1/2 log(2 pi) - log 1000 - y^2 / 2e6, and y^2 / 2e6 < 1e-6 for y in [0, 1). So
  // bits/dim = (1/2 log(2 pi) + log 1000 + log 256) / log 2 within 1e-6.
  auto m = std::dynamic_pointer_cast<FlowModel>(make_model(tiny("gaussian")));
  auto* norm = dynamic_cast<ActNorm*>(m->named_modules()["body.0"].get());
  ASSERT_NE(norm, nullptr);
  {
    torch::NoGradGuard no_grad;
    norm->log_scale.fill_(-std::log(1000.0));
  }
  const double hand = (0.5 * std::log(2 * M_PI) + std::log(1000.0) + std::log(256.0)) / std::log(2.0);
  Split split{torch::randint(0, 256, {50, 16}).to(torch::kFloat32) / 255, torch::Tensor()};
  EvalReport r = evaluate(*m, split, 1, 20);
  EXPECT_NEAR(r.bits_per_dim, hand, 1e-5);
  EXPECT_NEAR(r.losses.at("bits_per_dim"), hand, 1e-5);
  EXPECT_NEAR(bits_per_dim(0.0, 16), 8.0, 1e-12) << "a density of 1 on the unit cube: 8 bits";
}

TEST(FlowModels, TrainedFlow2dDensityIntegratesToOne) {
  torch::manual_seed(4);
  ModelConfig c = tiny("flow2d");
  c.get<FlowOptions>().flow_steps = 4;
  c.get<FlowOptions>().flow_hidden = 32;
  auto m = make_model(c);
  auto data = make_synthetic("moons", 2048, 9);
  torch::optim::Adam opt(m->parameters(), torch::optim::AdamOptions(5e-3));
  m->train();
  auto initial = m->losses(data)["nll"].item<double>();
  for (int step = 0; step < 300; ++step) {
    auto batch = data.index_select(0, torch::randint(0, data.size(0), {256}, torch::kLong));
    opt.zero_grad();
    m->losses(batch)["loss"].backward();
    opt.step();
  }
  m->eval();
  const double trained = m->losses(data)["nll"].item<double>();
  EXPECT_LT(trained, initial - 0.5) << "training fits the moons";
  // The moons lie in [-1, 2] x [-0.5, 1]; the grid extends far beyond.
  DensityGrid g = density_on_grid(*m, -6, -6, 0.02, 700);
  const double mass = g.density.sum().item<double>() * g.cell_area();
  EXPECT_NEAR(mass, 1.0, 0.01);
}

TEST(FlowModels, DataThatDoesNotSuitTheKindIsAnInputErrorNamingTheFlag) {
  auto expect_rejected = [](ModelConfig c, const std::string& flag) {
    try {
      make_model(c);
      ADD_FAILURE() << c.kind << " accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(flag + ":", 0), 0u) << e.what();
    }
  };
  ModelConfig c = tiny("realnvp");
  c.image_shape.clear();
  expect_rejected(c, "--data");
  c = tiny("glow");
  c.get<MultiScaleOptions>().flow_scales = 3;  // 4x4 images cannot be squeezed three times
  expect_rejected(c, "--flow-scales");
  c = tiny("flow2d");
  c.input_dim = 3;
  expect_rejected(c, "--data");
}

}  // namespace flow_models_test
