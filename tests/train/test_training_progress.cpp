// The Trainer's side of the VAE objectives: it reports training progress before every step
// (per step, from the epoch and batch position), and it passes labels through to conditional
// models, as evaluate() and score() do.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "latentkit/models/cvae.h"
#include "latentkit/models/network.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/eval/evaluate.h"
#include "latentkit/models/vae.h"
#include "latentkit/train/trainer.h"
#include "latentkit/util/rng.h"

namespace fs = std::filesystem;
using namespace latentkit;

namespace training_progress_test {

Dataset labelled_toy() {
  torch::manual_seed(3);
  auto make = [](int64_t n) {
    auto y = torch::randint(0, 3, {n}, torch::kLong);
    auto base = torch::stack({torch::linspace(0, 1, 16), torch::linspace(1, 0, 16),
                              torch::full({16}, 0.5)});
    return Split{(base.index_select(0, y) + 0.1 * torch::randn({n, 16})).clamp(0, 1), y};
  };
  Dataset d;
  d.name = "toy";
  d.train = make(100);  // 4 batches of 32 (the last one short)
  d.test = make(40);
  d.preprocess.scaling = Scaling::Unit;
  d.preprocess.offset = torch::zeros({16});
  d.preprocess.scale = torch::full({16}, 255.0);
  return d;
}

RunConfig config(const std::string& kind, int64_t epochs) {
  RunConfig c;
  c.data.source = "moons";  // recorded only
  c.model = default_config(kind);  // the kind's own option families (cvae: labels)
  c.model.input_dim = 16;
  c.model.get<NetworkOptions>().hidden = {8};
  c.model.get<NetworkOptions>().latent_dim = 2;
  c.model.get<VaeOptions>().likelihood = "bernoulli";
  c.train.epochs = epochs;
  c.train.batch_size = 32;
  c.train.seed = 4;
  return c;
}

std::string run_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("latentkit_progress_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  return dir.string();
}

class RecordingVae : public VAE {
 public:
  using VAE::VAE;
  void set_training_progress(double p) override {
    seen.push_back(p);
    VAE::set_training_progress(p);
  }
  std::vector<double> seen;
};

TEST(TrainingProgress, TrainerReportsEpochsDoneBeforeEveryStep) {
  RunConfig cfg = config("vae", 2);
  cfg.model.get<KlOptions>().beta = 2.0;
  cfg.model.get<KlOptions>().kl_warmup_epochs = 4;
  seed_everything(cfg.train.seed);
  auto model = std::make_shared<RecordingVae>(cfg.model);
  const std::string dir = run_dir("warmup");
  Trainer trainer(cfg, labelled_toy(), model, dir, TrainerOptions{true, false, nullptr});
  ASSERT_TRUE(trainer.run());
  std::vector<double> expected;
  for (int64_t e = 0; e < 2; ++e)
    for (int64_t b = 0; b < 4; ++b) expected.push_back(e + b / 4.0);
  EXPECT_EQ(model->seen, expected);
  // metrics.jsonl logs the weight: epoch 1's batch-size-weighted mean of 2 * p / 4.
  std::ifstream in(dir + "/metrics.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto j = nlohmann::json::parse(line);
  const double w1 = (32 * 0.0 + 32 * 0.125 + 32 * 0.25 + 4 * 0.375) / 100.0;
  EXPECT_NEAR(j["train"]["kl_weight"].get<double>(), w1, 1e-9);
  fs::remove_all(dir);
}

TEST(TrainingProgress, ConditionalModelGetsLabelsInTrainingAndEvaluation) {
  RunConfig cfg = config("cvae", 1);
  cfg.model.get<LabelOptions>().num_classes = 3;
  seed_everything(cfg.train.seed);
  auto model = make_model(cfg.model);
  const std::string dir = run_dir("cvae");
  Dataset data = labelled_toy();
  Split test = data.test;
  Trainer trainer(cfg, data, model, dir, TrainerOptions{true, false, nullptr});
  ASSERT_TRUE(trainer.run());
  EvalReport r = evaluate(*model, test, 5, 16);
  EXPECT_TRUE(r.has_log_likelihood);
  EXPECT_TRUE(std::isfinite(r.log_likelihood));
  Scores s = score(*model, test.x, 3, 16, test.y);
  EXPECT_EQ(s.log_likelihood.size(0), test.size());
  EXPECT_EQ(s.reconstruction_error.size(0), test.size());
  EXPECT_THROW(score(*model, test.x, 3, 16), InputError);  // no labels
  EXPECT_THROW(evaluate(*model, Split{test.x, torch::Tensor()}, 3, 16), InputError);
  fs::remove_all(dir);
}

}  // namespace
