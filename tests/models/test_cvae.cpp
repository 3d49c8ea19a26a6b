// The conditional VAE: labels are required and checked, the one-hot tiling of IWAE chunks lines
// up with the rows, and samples drawn for a label look like that label to a classifier trained
// (here, independently of the CVAE) on the real data.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "latentkit/models/network.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/models/cvae.h"

namespace latentkit {
namespace cvae_test {

ModelConfig cvae_config(int64_t classes, int64_t dim = 5) {
  ModelConfig c = default_config("cvae");
  c.input_dim = dim;
  c.get<NetworkOptions>().hidden = {6};
  c.get<NetworkOptions>().latent_dim = 2;
  c.get<NetworkOptions>().activation = "tanh";
  c.get<LabelOptions>().num_classes = classes;
  return c;
}

std::shared_ptr<CVAE> build(const ModelConfig& c, uint64_t seed) {
  torch::manual_seed(seed);
  auto m = std::dynamic_pointer_cast<CVAE>(make_model(c));
  EXPECT_TRUE(m);
  return m;
}

TEST(Cvae, RejectsMissingOrBadLabels) {
  auto m = build(cvae_config(3), 1);
  auto x = torch::rand({4, 5});
  auto y = torch::tensor({0, 2, 1, 2}, torch::kLong);
  auto z = torch::randn({4, 2});
  EXPECT_THROW(m->encode(x), InputError);
  EXPECT_THROW(m->decode(z), InputError);
  EXPECT_THROW(m->losses(x), InputError);
  EXPECT_THROW(m->reconstruct(x), InputError);
  EXPECT_THROW(m->log_likelihood(x, 3), InputError);
  try {
    m->losses(x);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cvae needs labels"), std::string::npos) << e.what();
  }
  EXPECT_THROW(m->losses(x, torch::tensor({0, 3, 1, 2}, torch::kLong)), InputError);   // >= C
  EXPECT_THROW(m->losses(x, torch::tensor({0, -1, 1, 2}, torch::kLong)), InputError);  // < 0
  EXPECT_THROW(m->losses(x, torch::tensor({0, 1}, torch::kLong)), InputError);          // count
  // With labels everything works and has the usual shapes.
  EXPECT_EQ(m->encode(x, y).sizes(), (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(m->reconstruct(x, y).sizes(), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(m->log_likelihood(x, 7, y).sizes(), (std::vector<int64_t>{4}));
  EXPECT_EQ(m->losses(x, y).count("elbo"), 1u);
  EXPECT_EQ(m->sample(6).sizes(), (std::vector<int64_t>{6, 5}));  // uniform labels
  EXPECT_EQ(m->sample(6, torch::full({6}, 2, torch::kLong)).sizes(), (std::vector<int64_t>{6, 5}));
}

TEST(Cvae, ConfigNeedsClassesAndMlp) {
  EXPECT_THROW(make_model(cvae_config(0)), InputError);
  ModelConfig c = cvae_config(3, 16);
  c.get<NetworkOptions>().architecture = "conv";
  c.image_shape = {1, 4, 4};
  c.get<NetworkOptions>().conv_channels = {2};
  EXPECT_THROW(make_model(c), InputError);
}

// The k samples of an IWAE chunk are k * B decoder rows; the one-hot labels must be tiled to
// match: each row's log-weights equal those computed for that row alone.
TEST(Cvae, LogWeightsConditionEachRowOnItsOwnLabel) {
  auto m = build(cvae_config(4), 2);
  m->to(torch::kFloat64);
  auto x = torch::rand({3, 5}, torch::kFloat64);
  auto y = torch::tensor({3, 0, 2}, torch::kLong);
  auto eps = torch::randn({4, 3, 2}, torch::kFloat64);
  auto all = m->log_weights(x, m->posterior(x, y), eps, y);  // [4, 3]
  for (int64_t r = 0; r < 3; ++r) {
    auto xr = x.narrow(0, r, 1), yr = y.narrow(0, r, 1);
    auto one = m->log_weights(xr, m->posterior(xr, yr), eps.narrow(1, r, 1), yr);  // [4, 1]
    EXPECT_TRUE(torch::allclose(all.narrow(1, r, 1), one, 1e-12, 1e-12)) << "row " << r;
  }
}

// Four classes of 8x8 images: a horizontal bar, a vertical bar, the diagonal, a centred square;
// pixels 0.85 on the pattern, 0.1 off it, plus noise, clipped to [0, 1].
void patterns(int64_t n, torch::Tensor& x, torch::Tensor& y) {
  auto base = torch::full({4, 8, 8}, 0.1);
  base[0].narrow(0, 1, 2).fill_(0.85);
  base[1].narrow(1, 5, 2).fill_(0.85);
  for (int64_t i = 0; i < 8; ++i) base[2][i][i] = 0.85, base[2][i][7 - i] = 0.85;
  base[3].narrow(0, 2, 4).narrow(1, 2, 4).fill_(0.85);
  y = torch::randint(0, 4, {n}, torch::kLong);
  x = (base.view({4, 64}).index_select(0, y) + 0.15 * torch::randn({n, 64})).clamp(0, 1);
}

TEST(Cvae, SamplesForALabelAreClassifiedAsThatLabel) {
  torch::manual_seed(7);
  torch::Tensor x, y;
  patterns(1024, x, y);

  ModelConfig c = cvae_config(4, 64);
  c.get<NetworkOptions>().hidden = {64};
  c.get<NetworkOptions>().latent_dim = 4;
  c.get<NetworkOptions>().activation = "relu";
  auto m = build(c, 8);
  torch::optim::Adam opt(m->parameters(), torch::optim::AdamOptions(3e-3));
  for (int64_t step = 0; step < 400; ++step) {
    auto idx = torch::randint(0, x.size(0), {64}, torch::kLong);
    opt.zero_grad();
    m->losses(x.index_select(0, idx), y.index_select(0, idx)).at("loss").backward();
    opt.step();
  }

  // A softmax regression on the real images, knowing nothing of the CVAE.
  auto w = torch::zeros({64, 4}, torch::requires_grad());
  auto b = torch::zeros({4}, torch::requires_grad());
  torch::optim::Adam copt({w, b}, torch::optim::AdamOptions(5e-2));
  for (int64_t step = 0; step < 200; ++step) {
    copt.zero_grad();
    torch::nn::functional::cross_entropy(torch::matmul(x, w) + b, y).backward();
    copt.step();
  }
  torch::NoGradGuard no_grad;
  torch::Tensor xt, yt;
  patterns(400, xt, yt);
  const double real_acc = (torch::matmul(xt, w) + b).argmax(1).eq(yt).to(torch::kDouble).mean().item<double>();
  ASSERT_GT(real_acc, 0.95) << "the classifier itself must work";

  m->eval();
  for (int64_t label = 0; label < 4; ++label) {
    auto s = m->sample(200, torch::full({200}, label, torch::kLong));  // [200, 64] in [0, 1]
    const double acc =
        (torch::matmul(s, w) + b).argmax(1).eq(label).to(torch::kDouble).mean().item<double>();
    EXPECT_GT(acc, 0.8) << "label " << label << " (chance: 0.25)";
  }
}

}  // namespace
}  // namespace latentkit
