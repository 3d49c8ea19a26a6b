// The fused training steps of the MLP "vae" and "ae" against autograd's step on the same model,
// batch and noise: the same loss terms, the same gradients, and the same parameters after
// several optimizer steps; and which kinds take a fused step at all.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "latentkit/models/model.h"

namespace latentkit {
namespace fused_steps_test {

ModelConfig mlp_config(const std::string& kind, const std::string& likelihood) {
  ModelConfig c;
  c.kind = kind;
  c.likelihood = likelihood;
  c.input_dim = 24;
  c.hidden = {16, 12};
  c.latent_dim = 3;
  c.activation = "relu";
  return c;
}

// Two copies of one model: the first steps with autograd, the second with the fused step.
struct Pair {
  std::shared_ptr<Model> autograd, fused;
};

Pair make_pair(const ModelConfig& c) {
  torch::manual_seed(5);
  Pair p{make_model(c), make_model(c)};
  torch::NoGradGuard no_grad;
  auto src = p.autograd->parameters(), dst = p.fused->parameters();
  for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  p.autograd->set_fused_step(false);
  p.autograd->train();
  p.fused->train();
  return p;
}

Optimizers sgd(Model& m, double lr) {
  Optimizers o;
  o["model"] = std::make_unique<torch::optim::SGD>(m.parameters(), torch::optim::SGDOptions(lr));
  return o;
}

double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(b.abs().max().item<double>(), 1e-30);
}

// A batch in [0, 1] (Bernoulli targets may be grey levels) or a standard normal one.
torch::Tensor batch(int64_t rows, bool unit) {
  return unit ? torch::rand({rows, 24}) : torch::randn({rows, 24});
}

// One step each with a zero learning rate (gradients only), then `steps` SGD steps; checks
// the terms, the gradients and the parameters.
void expect_same_steps(const ModelConfig& c, bool unit_data, int steps) {
  Pair p = make_pair(c);
  ASSERT_FALSE(p.autograd->uses_fused_step());
  ASSERT_TRUE(p.fused->uses_fused_step());
  {
    auto x = batch(9, unit_data);
    auto o1 = sgd(*p.autograd, 0.0), o2 = sgd(*p.fused, 0.0);
    torch::manual_seed(21);
    LossTerms a = p.autograd->train_step(x, {}, o1);
    torch::manual_seed(21);  // the same reparameterisation noise
    LossTerms f = p.fused->train_step(x, {}, o2);
    ASSERT_EQ(a.size(), f.size());
    for (const auto& [name, value] : a) {
      ASSERT_TRUE(f.count(name)) << name;
      EXPECT_NEAR(f.at(name).item<double>(), value.item<double>(),
                  1e-5 * std::max(1.0, std::abs(value.item<double>()))) << name;
    }
    auto ga = p.autograd->named_parameters(), gf = p.fused->named_parameters();
    for (size_t i = 0; i < ga.size(); ++i)
      EXPECT_LT(relative_error(gf[i].value().grad(), ga[i].value().grad()), 1e-4) << ga[i].key();
  }
  auto o1 = sgd(*p.autograd, 0.05), o2 = sgd(*p.fused, 0.05);
  for (int s = 0; s < steps; ++s) {
    auto x = batch(s % 2 ? 7 : 9, unit_data);  // a short last batch too
    torch::manual_seed(100 + s);
    p.autograd->train_step(x, {}, o1);
    torch::manual_seed(100 + s);
    p.fused->train_step(x, {}, o2);
  }
  auto pa = p.autograd->named_parameters(), pf = p.fused->named_parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_LT(relative_error(pf[i].value(), pa[i].value()), 1e-4) << pa[i].key();
}

TEST(FusedSteps, VaeBernoulliEqualsAutograd) { expect_same_steps(mlp_config("vae", "bernoulli"), true, 5); }

TEST(FusedSteps, VaeGaussianFixedSigmaEqualsAutograd) {
  auto c = mlp_config("vae", "gaussian");
  c.sigma = 0.5;
  expect_same_steps(c, false, 5);
}

TEST(FusedSteps, VaeWithKlWarmupEqualsAutograd) {
  auto c = mlp_config("vae", "bernoulli");
  c.kl_warmup_epochs = 4;
  c.beta = 2.0;
  Pair p = make_pair(c);
  for (auto* m : {p.autograd.get(), p.fused.get()}) m->set_training_progress(1.5);  // w = 0.75
  auto x = batch(9, true);
  auto o1 = sgd(*p.autograd, 0.0), o2 = sgd(*p.fused, 0.0);
  torch::manual_seed(3);
  LossTerms a = p.autograd->train_step(x, {}, o1);
  torch::manual_seed(3);
  LossTerms f = p.fused->train_step(x, {}, o2);
  EXPECT_NEAR(f.at("kl_weight").item<double>(), 0.75, 1e-7);
  EXPECT_NEAR(f.at("loss").item<double>(), a.at("loss").item<double>(), 1e-4);
  auto ga = p.autograd->parameters(), gf = p.fused->parameters();
  for (size_t i = 0; i < ga.size(); ++i) EXPECT_LT(relative_error(gf[i].grad(), ga[i].grad()), 1e-4);
}

TEST(FusedSteps, AutoencoderBceEqualsAutograd) { expect_same_steps(mlp_config("ae", "bce"), true, 5); }

TEST(FusedSteps, AutoencoderMseEqualsAutograd) { expect_same_steps(mlp_config("ae", "mse"), false, 5); }

TEST(FusedSteps, OnlyPlainReluMlpAeAndVaeTakeThem) {
  auto takes = [](ModelConfig c) { return make_model(c)->uses_fused_step(); };
  EXPECT_TRUE(takes(mlp_config("vae", "bernoulli")));
  EXPECT_TRUE(takes(mlp_config("ae", "mse")));
  auto tanh = mlp_config("vae", "bernoulli");
  tanh.activation = "tanh";
  EXPECT_FALSE(takes(tanh));
  auto learned = mlp_config("vae", "gaussian");
  learned.learn_sigma = true;
  EXPECT_FALSE(takes(learned));
  EXPECT_FALSE(takes(mlp_config("iwae", "bernoulli")));
  EXPECT_FALSE(takes(mlp_config("dae", "mse")));
  EXPECT_FALSE(takes(mlp_config("dropout-ae", "mse")));
  auto m = make_model(mlp_config("vae", "bernoulli"));
  m->set_fused_step(false);
  EXPECT_FALSE(m->uses_fused_step());
}

TEST(FusedSteps, InferenceEqualsModulesAndKeepsAutogradWhenGradientsAreOn) {
  for (const auto& c : {mlp_config("vae", "bernoulli"), mlp_config("ae", "mse")}) {
    Pair p = make_pair(c);
    p.autograd->eval();
    p.fused->eval();
    auto x = batch(5, true);
    // One row takes the few-rows layers, five the matrix products.
    for (int64_t rows : {1, 5}) {
      torch::NoGradGuard no_grad;
      auto xr = x.narrow(0, 0, rows);
      ASSERT_TRUE(p.fused->uses_fused_forward(xr));
      ASSERT_FALSE(p.autograd->uses_fused_forward(xr));
      EXPECT_LT(relative_error(p.fused->encode(xr), p.autograd->encode(xr)), 1e-5) << c.kind;
      auto z = torch::randn({rows, c.latent_dim});
      EXPECT_LT(relative_error(p.fused->decode(z), p.autograd->decode(z)), 1e-5) << c.kind;
      EXPECT_LT(relative_error(p.fused->reconstruction_error(xr),
                               p.autograd->reconstruction_error(xr)), 1e-5) << c.kind;
    }
    // With gradients on, encode goes through the modules so callers can differentiate it.
    EXPECT_FALSE(p.fused->uses_fused_forward(x));
    EXPECT_TRUE(p.fused->encode(x).requires_grad()) << c.kind;
  }
}

}  // namespace fused_steps_test
}  // namespace latentkit
