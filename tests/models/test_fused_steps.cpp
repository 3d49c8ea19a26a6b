// The fused training steps of the MLP "vae" and "ae" against autograd's step on the same model,
// batch and noise: the same loss terms, the same gradients, and the same parameters after
// several optimizer steps; and which kinds take a fused step at all.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "latentkit/catalog/catalog.h"
#include "latentkit/exec/execution.h"
#include "latentkit/models/autoencoder.h"
#include "latentkit/models/fused_step.h"
#include "latentkit/models/network.h"
#include "latentkit/models/vae.h"
#include "latentkit/nn/fused_mlp.h"

namespace latentkit {
namespace fused_steps_test {

ModelConfig mlp_config(const std::string& kind, const std::string& likelihood) {
  ModelConfig c = default_config(kind);
  if (auto* vae = c.options.find<VaeOptions>()) vae->likelihood = likelihood;
  if (auto* rec = c.options.find<ReconstructionOptions>()) rec->loss = likelihood;
  c.input_dim = 24;
  c.get<NetworkOptions>().hidden = {16, 12};
  c.get<NetworkOptions>().latent_dim = 3;
  c.get<NetworkOptions>().activation = "relu";
  return c;
}

// Two copies of one model: the first steps with autograd (its own train_step), the second with
// the fused step the execution policy chooses for its kind.
struct Pair {
  std::shared_ptr<Model> autograd, fused;
  std::unique_ptr<FusedStep> step;
  LossTerms fused_step(const torch::Tensor& x, Optimizers& o) { return step->step(x, o); }
};

Pair make_pair(const ModelConfig& c) {
  torch::manual_seed(5);
  Pair p{make_model(c), make_model(c), nullptr};
  torch::NoGradGuard no_grad;
  auto src = p.autograd->parameters(), dst = p.fused->parameters();
  for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  p.step = ExecutionPolicy::choose(ExecutionOptions{}, c).make_fused_step(*p.fused);
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
  ASSERT_TRUE(p.step);
  {
    auto x = batch(9, unit_data);
    auto o1 = sgd(*p.autograd, 0.0), o2 = sgd(*p.fused, 0.0);
    torch::manual_seed(21);
    LossTerms a = p.autograd->train_step(x, {}, o1);
    torch::manual_seed(21);  // the same reparameterisation noise
    LossTerms f = p.fused_step(x, o2);
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
    p.fused_step(x, o2);
  }
  auto pa = p.autograd->named_parameters(), pf = p.fused->named_parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_LT(relative_error(pf[i].value(), pa[i].value()), 1e-4) << pa[i].key();
}

TEST(FusedSteps, VaeBernoulliEqualsAutograd) { expect_same_steps(mlp_config("vae", "bernoulli"), true, 5); }

TEST(FusedSteps, VaeGaussianFixedSigmaEqualsAutograd) {
  auto c = mlp_config("vae", "gaussian");
  c.get<VaeOptions>().sigma = 0.5;
  expect_same_steps(c, false, 5);
}

TEST(FusedSteps, VaeWithKlWarmupEqualsAutograd) {
  auto c = mlp_config("vae", "bernoulli");
  c.get<KlOptions>().kl_warmup_epochs = 4;
  c.get<KlOptions>().beta = 2.0;
  Pair p = make_pair(c);
  for (auto* m : {p.autograd.get(), p.fused.get()}) m->set_training_progress(1.5);  // w = 0.75
  auto x = batch(9, true);
  auto o1 = sgd(*p.autograd, 0.0), o2 = sgd(*p.fused, 0.0);
  torch::manual_seed(3);
  LossTerms a = p.autograd->train_step(x, {}, o1);
  torch::manual_seed(3);
  LossTerms f = p.fused_step(x, o2);
  EXPECT_NEAR(f.at("kl_weight").item<double>(), 0.75, 1e-7);
  EXPECT_NEAR(f.at("loss").item<double>(), a.at("loss").item<double>(), 1e-4);
  auto ga = p.autograd->parameters(), gf = p.fused->parameters();
  for (size_t i = 0; i < ga.size(); ++i) EXPECT_LT(relative_error(gf[i].grad(), ga[i].grad()), 1e-4);
}

TEST(FusedSteps, AutoencoderBceEqualsAutograd) { expect_same_steps(mlp_config("ae", "bce"), true, 5); }

TEST(FusedSteps, AutoencoderMseEqualsAutograd) { expect_same_steps(mlp_config("ae", "mse"), false, 5); }

TEST(FusedSteps, OnlyPlainReluMlpAeAndVaeTakeThem) {
  auto takes = [](const ModelConfig& c, ExecutionOptions o = {}) {
    return ExecutionPolicy::choose(o, c).fused_step;
  };
  EXPECT_TRUE(takes(mlp_config("vae", "bernoulli")));
  EXPECT_TRUE(takes(mlp_config("ae", "mse")));
  auto tanh = mlp_config("vae", "bernoulli");
  tanh.get<NetworkOptions>().activation = "tanh";
  EXPECT_FALSE(takes(tanh));
  auto learned = mlp_config("vae", "gaussian");
  learned.get<VaeOptions>().learn_sigma = true;
  EXPECT_FALSE(takes(learned));
  EXPECT_FALSE(takes(mlp_config("iwae", "bernoulli")));
  EXPECT_FALSE(takes(mlp_config("dae", "mse")));
  EXPECT_FALSE(takes(mlp_config("dropout-ae", "mse")));
  ExecutionOptions no_fused;
  no_fused.fused = false;
  EXPECT_FALSE(takes(mlp_config("vae", "bernoulli"), no_fused));
  auto m = make_model(mlp_config("vae", "bernoulli"));
  EXPECT_FALSE(ExecutionPolicy::choose(no_fused, m->config()).make_fused_step(*m));
}

// Fused inference switched on and off around one model's calls.
struct FusedInference {
  explicit FusedInference(bool on) { set_fused_inference(on); }
  ~FusedInference() { set_fused_inference(true); }
};

TEST(FusedSteps, InferenceEqualsModulesAndKeepsAutogradWhenGradientsAreOn) {
  for (const auto& c : {mlp_config("vae", "bernoulli"), mlp_config("ae", "mse")}) {
    torch::manual_seed(5);
    auto model = make_model(c);
    model->eval();
    auto x = batch(5, true);
    // One row takes the few-rows layers, five the matrix products.
    for (int64_t rows : {1, 5}) {
      torch::NoGradGuard no_grad;
      auto xr = x.narrow(0, 0, rows);
      auto z = torch::randn({rows, c.get<NetworkOptions>().latent_dim});
      torch::Tensor code[2], decoded[2], error[2];
      for (int fused = 0; fused < 2; ++fused) {
        FusedInference mode(fused == 1);
        code[fused] = model->encode(xr);
        decoded[fused] = model->decode(z);
        error[fused] = model->reconstruction_error(xr);
      }
      EXPECT_LT(relative_error(code[1], code[0]), 1e-5) << c.kind;
      EXPECT_LT(relative_error(decoded[1], decoded[0]), 1e-5) << c.kind;
      EXPECT_LT(relative_error(error[1], error[0]), 1e-5) << c.kind;
    }
    // With gradients on, encode goes through the modules so callers can differentiate it.
    EXPECT_TRUE(model->encode(x).requires_grad()) << c.kind;
  }
}

}  // namespace fused_steps_test
}  // namespace latentkit
