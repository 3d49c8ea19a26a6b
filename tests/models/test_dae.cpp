// The denoising autoencoder ("dae"), its corruptions, and the dropout autoencoder
// ("dropout-ae"): statistics against the corruptions' definitions, dropout's train/eval
// behaviour, and a small dae that really denoises.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/models/autoencoder.h"
#include "latentkit/models/corruption.h"
#include "latentkit/models/dae.h"
#include "latentkit/models/network.h"
#include "latentkit/nn/fused_mlp.h"
#include "latentkit/models/dropout_ae.h"
#include "latentkit/models/model.h"
#include "latentkit/nn/blocks.h"

namespace latentkit {
namespace dae_test {

ModelConfig small(const std::string& kind, const std::string& likelihood = "bce") {
  ModelConfig c = default_config(kind);
  c.get<ReconstructionOptions>().loss = likelihood;
  c.input_dim = 64;
  c.get<NetworkOptions>().hidden = {32};
  c.get<NetworkOptions>().latent_dim = 8;
  c.get<NetworkOptions>().activation = "relu";
  return c;
}

// Copies b's parameters into a, in registration order (both must have the same Linear layers).
void copy_parameters(Model& into, Model& from) {
  auto dst = into.parameters(), src = from.parameters();
  ASSERT_EQ(dst.size(), src.size());
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < dst.size(); ++i) {
    ASSERT_EQ(dst[i].sizes(), src[i].sizes());
    dst[i].copy_(src[i]);
  }
}

double fraction(const torch::Tensor& mask) { return mask.to(torch::kFloat64).mean().item<double>(); }

// ---- corruptions --------------------------------------------------------------------------

TEST(Corruption, MaskZeroesAFractionLevelOfInputs) {
  torch::manual_seed(1);
  auto x = torch::ones({200, 500});
  auto xt = corrupt(x, "mask", 0.3);
  EXPECT_NEAR(fraction(xt == 0), 0.3, 0.01);  // 1e5 draws: std. error ~0.0015
  EXPECT_TRUE(((xt == 0) | (xt == 1)).all().item<bool>());  // survivors are untouched
}

TEST(Corruption, SaltPepperSetsAFractionLevelToZeroOrOneHalfEach) {
  torch::manual_seed(2);
  auto x = torch::full({200, 500}, 0.5);
  auto xt = corrupt(x, "salt-pepper", 0.2);
  auto changed = xt != x;
  EXPECT_NEAR(fraction(changed), 0.2, 0.01);
  auto values = xt.masked_select(changed);
  EXPECT_TRUE(((values == 0) | (values == 1)).all().item<bool>());
  EXPECT_NEAR(fraction(values == 1), 0.5, 0.02);  // ~2e4 hits: std. error ~0.0035
}

TEST(Corruption, GaussianAddsZeroMeanNoiseOfStdLevel) {
  torch::manual_seed(3);
  auto x = torch::full({200, 500}, 0.5);
  // Unclipped: the difference is exactly the N(0, level^2) draw.
  auto d = (corrupt(x, "gaussian", 0.7, /*clip=*/false) - x).to(torch::kFloat64);
  EXPECT_NEAR(d.mean().item<double>(), 0.0, 0.01);
  EXPECT_NEAR(d.std().item<double>(), 0.7, 0.01);
  // level 0.1 around 0.5 never reaches the clip (5 std. deviations), so clipping changes nothing.
  auto d2 = (corrupt(x, "gaussian", 0.1) - x).to(torch::kFloat64);
  EXPECT_NEAR(d2.mean().item<double>(), 0.0, 0.002);
  EXPECT_NEAR(d2.std().item<double>(), 0.1, 0.002);
  // Clipped: every value lies in [0, 1], and a large level does reach both ends.
  auto xc = corrupt(x, "gaussian", 2.0, /*clip=*/true);
  EXPECT_GE(xc.min().item<double>(), 0.0);
  EXPECT_LE(xc.max().item<double>(), 1.0);
  EXPECT_GT(fraction(xc == 0), 0.2);
  EXPECT_GT(fraction(xc == 1), 0.2);
}

TEST(Corruption, LevelZeroIsIdentityAndSeedDecides) {
  auto x = torch::rand({10, 20});
  for (const auto& kind : noise_kinds()) {
    EXPECT_TRUE(torch::equal(corrupt(x, kind, 0.0), x)) << kind;
    torch::manual_seed(7);
    auto a = corrupt(x, kind, 0.3);
    torch::manual_seed(7);
    auto b = corrupt(x, kind, 0.3);
    EXPECT_TRUE(torch::equal(a, b)) << kind;
    EXPECT_FALSE(torch::equal(a, x)) << kind;
  }
}

TEST(Corruption, ParsesKindColonLevelAndRejectsBadText) {
  auto g = parse_noise("gaussian:0.5");
  EXPECT_EQ(g.kind, "gaussian");
  EXPECT_DOUBLE_EQ(g.level, 0.5);
  auto s = parse_noise("salt-pepper:0.1");
  EXPECT_EQ(s.kind, "salt-pepper");
  EXPECT_DOUBLE_EQ(s.level, 0.1);
  EXPECT_DOUBLE_EQ(parse_noise("mask:1").level, 1.0);
  for (const char* bad : {"gaussian", "gaussian:", ":0.3", "gauss:0.5", "mask:1.5", "mask:abc",
                          "gaussian:-1", "gaussian:0.5x", "salt-pepper:-0.1", "gaussian:nan"}) {
    try {
      parse_noise(bad, "--noise");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("--noise"), std::string::npos) << e.what();
    }
  }
}

TEST(Corruption, ConfigFieldsAreValidatedByName) {
  auto expect_rejected = [](ModelConfig c, const std::string& field) {
    try {
      validate(c);
      ADD_FAILURE() << "accepted bad " << field;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(field + ":", 0), 0u) << e.what();
    }
  };
  ModelConfig c = small("dae");
  EXPECT_NO_THROW(validate(c));
  c.get<CorruptionOptions>().noise = "speckle";
  expect_rejected(c, "noise");
  c = small("dae");
  c.get<CorruptionOptions>().noise = "mask";
  c.get<CorruptionOptions>().noise_level = 1.2;
  expect_rejected(c, "noise_level");
  c = small("dropout-ae");
  c.get<DropoutOptions>().dropout = 1.0;
  expect_rejected(c, "dropout");
  c.get<DropoutOptions>().dropout = -0.1;
  expect_rejected(c, "dropout");
  c.get<DropoutOptions>().dropout = 0.0;
  EXPECT_NO_THROW(validate(c));
  // The new fields round-trip through JSON.
  c = small("dae");
  c.get<CorruptionOptions>().noise = "salt-pepper";
  c.get<CorruptionOptions>().noise_level = 0.15;
  auto back = read_model_config(c.to_json());
  EXPECT_EQ(back.get<CorruptionOptions>().noise, "salt-pepper");
  EXPECT_EQ(back.get<CorruptionOptions>().noise_level, 0.15);
  c = small("dropout-ae");
  c.get<DropoutOptions>().dropout = 0.4;
  back = read_model_config(c.to_json());
  EXPECT_EQ(back.get<DropoutOptions>().dropout, 0.4);
}

// ---- dropout ------------------------------------------------------------------------------

TEST(DropoutAutoencoder, DropoutActsInTrainingOnly) {
  torch::manual_seed(4);
  auto c = small("dropout-ae");
  c.get<DropoutOptions>().dropout = 0.5;
  auto model = make_model(c);
  ASSERT_NE(std::dynamic_pointer_cast<DropoutAutoencoder>(model), nullptr);
  auto x = torch::rand({16, 64});
  torch::NoGradGuard no_grad;
  model->eval();
  EXPECT_TRUE(torch::equal(model->reconstruct(x), model->reconstruct(x)));
  model->train();
  EXPECT_FALSE(torch::equal(model->reconstruct(x), model->reconstruct(x)));
}

TEST(DropoutAutoencoder, EvalOutputEqualsThePlainAutoencoderWithTheSameWeights) {
  torch::manual_seed(5);
  auto c = small("dropout-ae");
  c.get<NetworkOptions>().hidden = {32, 16};
  auto drop = make_model(c);
  ModelConfig ae = default_config("ae");
  ae.input_dim = c.input_dim;
  ae.get<NetworkOptions>() = c.get<NetworkOptions>();
  ae.get<ReconstructionOptions>() = c.get<ReconstructionOptions>();
  auto plain = make_model(ae);
  copy_parameters(*plain, *drop);
  // Both through LibTorch's modules (not the plain one's fused forward), so the outputs can be
  // compared bit for bit.
  set_fused_inference(false);
  drop->eval();
  plain->eval();
  auto x = torch::rand({16, 64});
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(drop->reconstruct(x), plain->reconstruct(x), 0, 0));
  EXPECT_TRUE(torch::allclose(drop->losses(x).at("loss"), plain->losses(x).at("loss")));
  set_fused_inference(true);
  // The architectures differ only by the Dropout modules: one per hidden activation.
  auto count = [](Model& m) {
    int n = 0;
    for (const auto& mod : m.modules(false))
      if (dynamic_cast<torch::nn::DropoutImpl*>(mod.get())) ++n;
    return n;
  };
  EXPECT_EQ(count(*drop), 4);  // encoder 64-32-16, decoder 16-32 hidden layers
  EXPECT_EQ(count(*plain), 0);
}

TEST(DropoutAutoencoder, ZeroDropoutBuildsTheUnchangedBlocks) {
  EXPECT_EQ(make_mlp(5, {4, 3}, 2, "relu")->size(), 5u);
  EXPECT_EQ(make_mlp(5, {4, 3}, 2, "relu", 0.0)->size(), 5u);
  EXPECT_EQ(make_mlp(5, {4, 3}, 2, "relu", 0.3)->size(), 7u);
  EXPECT_THROW(make_mlp(5, {4}, 2, "relu", 1.0), InputError);
}

// ---- the denoising autoencoder ------------------------------------------------------------

TEST(DenoisingAutoencoder, LossIsReconstructingCleanFromCorruptedInBothModes) {
  torch::manual_seed(6);
  auto c = small("dae");
  c.get<CorruptionOptions>().noise = "gaussian";
  c.get<CorruptionOptions>().noise_level = 0.4;
  auto model = make_model(c);
  auto dae = std::dynamic_pointer_cast<DenoisingAutoencoder>(model);
  ASSERT_NE(dae, nullptr);
  auto x = torch::rand({8, 64});
  torch::NoGradGuard no_grad;
  for (bool training : {true, false}) {
    dae->train(training);
    torch::manual_seed(11);
    const double loss = dae->losses(x).at("loss").item<double>();
    // Reference: the same draw of noise, clipped to [0, 1], then BCE written out.
    torch::manual_seed(11);
    auto xt = (x + 0.4 * torch::randn_like(x)).clamp(0, 1);
    auto p = torch::sigmoid(dae->decoder()->forward(dae->encoder()->forward(xt))).to(torch::kFloat64);
    auto xd = x.to(torch::kFloat64);
    const double ref = (-(xd * p.log() + (1 - xd) * (1 - p).log())).sum(1).mean().item<double>();
    EXPECT_NEAR(loss, ref, 1e-3 * std::abs(ref)) << "training=" << training;
  }
  // reconstruct() does not corrupt: it is deterministic and equals the clean forward pass.
  dae->eval();
  auto r = dae->reconstruct(x);
  EXPECT_TRUE(torch::equal(r, dae->reconstruct(x)));
  EXPECT_TRUE(torch::allclose(r, torch::sigmoid(dae->decoder()->forward(dae->encoder()->forward(x)))));
}

// Structured 8x8 images: one full horizontal and one full vertical bar, values {0, 1}.
torch::Tensor bars(int64_t n) {
  auto rows = torch::randint(0, 8, {n}), cols = torch::randint(0, 8, {n});
  auto img = torch::zeros({n, 8, 8});
  for (int64_t i = 0; i < n; ++i) {
    img[i].select(0, rows[i].item<int64_t>()).fill_(1);
    img[i].select(1, cols[i].item<int64_t>()).fill_(1);
  }
  return img.view({n, 64});
}

// Mean over rows of 10 log10(1 / MSE_row), data range 1, written out with loops.
double mean_psnr(const torch::Tensor& a, const torch::Tensor& b) {
  auto ad = a.to(torch::kFloat64).contiguous(), bd = b.to(torch::kFloat64).contiguous();
  const double* pa = ad.data_ptr<double>();
  const double* pb = bd.data_ptr<double>();
  const int64_t n = ad.size(0), d = ad.size(1);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    double se = 0;
    for (int64_t j = 0; j < d; ++j) se += (pa[i * d + j] - pb[i * d + j]) * (pa[i * d + j] - pb[i * d + j]);
    sum += 10.0 * std::log10(1.0 / (se / d));
  }
  return sum / n;
}

TEST(DenoisingAutoencoder, RestoresAHeldOutCorruptedBatch) {
  torch::manual_seed(8);
  for (const std::string noise : {"gaussian", "salt-pepper"}) {
    auto c = small("dae");
    c.get<NetworkOptions>().hidden = {64};
    c.get<NetworkOptions>().latent_dim = 16;
    c.get<CorruptionOptions>().noise = noise;
    c.get<CorruptionOptions>().noise_level = noise == "gaussian" ? 0.4 : 0.2;
    auto dae = make_model(c);
    torch::optim::Adam opt(dae->parameters(), torch::optim::AdamOptions(3e-3));
    dae->train();
    for (int step = 0; step < 400; ++step) {
      auto x = bars(64);
      opt.zero_grad();
      dae->losses(x).at("loss").backward();
      opt.step();
    }
    dae->eval();
    torch::NoGradGuard no_grad;
    auto clean = bars(256);
    auto noisy = corrupt(clean, c.get<CorruptionOptions>().noise, c.get<CorruptionOptions>().noise_level);
    auto restored = dae->reconstruct(noisy);
    const double before = mean_psnr(noisy, clean), after = mean_psnr(restored, clean);
    EXPECT_GT(after, before + 3.0) << noise << ": noisy " << before << " dB, restored " << after << " dB";
  }
}

}  // namespace
}  // namespace latentkit
