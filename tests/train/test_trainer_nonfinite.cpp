// A loss that turns NaN stops training with TrainingDiverged, and the checkpoints keep the last
// good (finite) weights of the epoch before.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "latentkit/catalog/catalog.h"
#include "latentkit/train/trainer.h"
#include "latentkit/util/rng.h"

namespace fs = std::filesystem;
using namespace latentkit;

namespace trainer_nonfinite_test {

// A one-parameter model whose training loss becomes NaN from its `nan_from`-th training batch on,
// which then also poisons its weight through the gradient.
class NanLater : public Model {
 public:
  NanLater(ModelConfig c, int64_t nan_from) : Model(std::move(c), 1), nan_from_(nan_from) {
    w = register_parameter("w", torch::zeros({1}));
  }
  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor&) override { return x; }
  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor&) override { return z; }
  LossTerms losses(const torch::Tensor& x, const torch::Tensor&) override {
    auto loss = (w - x.mean()).pow(2).sum();
    if (is_training() && ++calls_ >= nan_from_) loss = loss * std::nan("");
    return {{"loss", loss}};
  }
  torch::Tensor w;

 private:
  int64_t nan_from_, calls_ = 0;
};


TEST(TrainerNonFinite, StopsAndKeepsTheLastGoodCheckpoint) {
  const auto dir = (fs::temp_directory_path() / ("latentkit_nonfinite_" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  Dataset d;
  d.name = "toy";
  d.train = Split{torch::rand({64, 3}) + 1, torch::Tensor()};
  d.test = Split{torch::rand({16, 3}) + 1, torch::Tensor()};
  d.preprocess.scaling = Scaling::None;
  d.preprocess.offset = torch::zeros({3});
  d.preprocess.scale = torch::ones({3});
  RunConfig cfg;
  cfg.model = default_config("ae");
  cfg.model.input_dim = 3;
  // NanLater is not an Autoencoder: it trains through its own train_step, not the ae's fused one.
  cfg.train.execution.fused = false;
  cfg.train.epochs = 3;
  cfg.train.batch_size = 8;  // 8 batches per epoch: batch 13 is in epoch 2
  cfg.train.lr = 0.1;
  seed_everything(1);
  auto model = std::make_shared<NanLater>(cfg.model, 13);
  Trainer trainer(cfg, d, model, dir, TrainerOptions{true, false, nullptr});
  try {
    trainer.run();
    FAIL() << "training went on with a NaN loss";
  } catch (const TrainingDiverged& e) {
    EXPECT_NE(std::string(e.what()).find("epoch 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("last.pt"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(std::isnan(model->w.item<double>())) << "the NaN did reach the weights";
  for (const char* name : {"last.pt", "best.pt"}) {
    Checkpoint ck = load_checkpoint(dir + "/checkpoints/" + name);
    EXPECT_EQ(ck.progress.epoch, 1) << name;
    const double w = ck.model.at("w").item<double>();
    EXPECT_TRUE(std::isfinite(w)) << name;
    EXPECT_GT(w, 0.0) << name << ": one epoch of training moved w toward the data mean";
  }
  fs::remove_all(dir);
}

}  // namespace trainer_nonfinite_test
