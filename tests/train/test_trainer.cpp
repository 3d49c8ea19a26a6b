// The Trainer: same seed gives identical metrics; a run resumed from its checkpoint equals an
// uninterrupted one; the loss falls; the run directory holds what it promises.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "latentkit/models/vae.h"
#include "latentkit/models/network.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/train/trainer.h"
#include "latentkit/util/rng.h"

namespace fs = std::filesystem;
using namespace latentkit;
using nlohmann::json;

namespace trainer_test {

// 4×4 "images" in [0, 1]: two classes of blurred patterns, so a VAE has something to learn.
Dataset toy_images() {
  torch::manual_seed(11);
  auto make = [](int64_t n) {
    auto y = torch::randint(0, 2, {n}, torch::kLong);
    auto base = torch::stack({torch::linspace(0, 1, 16), torch::linspace(1, 0, 16)});
    auto x = (base.index_select(0, y) + 0.1 * torch::randn({n, 16})).clamp(0, 1);
    return Split{x, y};
  };
  Dataset d;
  d.name = "toy";
  d.train = make(256);
  d.test = make(64);
  d.image = ImageShape{1, 4, 4};
  d.preprocess.scaling = Scaling::Unit;
  d.preprocess.offset = torch::zeros({16});
  d.preprocess.scale = torch::full({16}, 255.0);  // raw pixel levels -> [0, 1]
  return d;
}

RunConfig toy_config(int64_t epochs) {
  RunConfig c;
  c.data.source = "moons";  // recorded only: the test hands the Trainer its data
  c.model = default_config("vae");
  c.model.input_dim = 16;
  c.model.image_shape = {1, 4, 4};
  c.model.get<NetworkOptions>().hidden = {12};
  c.model.get<NetworkOptions>().latent_dim = 2;
  c.model.get<VaeOptions>().likelihood = "bernoulli";
  c.train.epochs = epochs;
  c.train.batch_size = 32;
  c.train.seed = 5;
  c.train.grid_size = 8;
  return c;
}

std::string run_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("latentkit_trainer_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  return dir.string();
}

// Trains `epochs` from scratch (or resumes `dir` up to `epochs`), returning the metrics lines
// without their timings.
std::vector<json> train(const std::string& dir, int64_t epochs, bool resume = false) {
  RunConfig cfg = toy_config(epochs);
  seed_everything(cfg.train.seed);
  auto model = make_model(cfg.model);
  Trainer trainer(cfg, toy_images(), model, dir, TrainerOptions{true, false, nullptr});
  if (resume) {
    Checkpoint ck = load_checkpoint(dir + "/checkpoints/last.pt");
    EXPECT_TRUE(trainer.run(&ck));
  } else {
    EXPECT_TRUE(trainer.run());
  }
  std::vector<json> lines;
  std::ifstream in(dir + "/metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = json::parse(line);
    lines.push_back(json{{"epoch", j["epoch"]}, {"train", j["train"]}, {"test", j["test"]}});
  }
  return lines;
}


TEST(Trainer, SameSeedGivesIdenticalMetrics) {
  auto a = train(run_dir("a"), 2);
  auto b = train(run_dir("b"), 2);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a, b);
}

TEST(Trainer, ResumeEqualsUninterruptedRun) {
  const std::string full = run_dir("full"), part = run_dir("part");
  auto uninterrupted = train(full, 3);
  train(part, 1);
  auto resumed = train(part, 3, /*resume=*/true);
  ASSERT_EQ(resumed.size(), 3u);
  EXPECT_EQ(uninterrupted, resumed);
  auto wa = load_checkpoint(full + "/checkpoints/last.pt").model;
  auto wb = load_checkpoint(part + "/checkpoints/last.pt").model;
  for (const auto& [name, t] : wa) EXPECT_TRUE(torch::equal(t, wb.at(name))) << name;
  // metrics.csv follows the log: one row per epoch, the resumed run's losses those of the
  // uninterrupted one (compared as the doubles they hold).
  auto losses = [](const std::string& dir) {
    std::ifstream in(dir + "/metrics.csv");
    std::string header, line;
    std::getline(in, header);
    EXPECT_EQ(header.rfind("epoch,train_loss,", 0), 0u) << header;
    std::vector<std::pair<int, double>> out;
    while (std::getline(in, line)) {
      const size_t comma = line.find(','), next = line.find(',', comma + 1);
      out.emplace_back(std::stoi(line.substr(0, comma)), std::stod(line.substr(comma + 1, next - comma - 1)));
    }
    return out;
  };
  const auto csv = losses(part);
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv, losses(full));
  for (size_t i = 0; i < csv.size(); ++i) {
    EXPECT_EQ(csv[i].first, int(i) + 1);
    EXPECT_EQ(csv[i].second, uninterrupted[i]["train"]["loss"].get<double>());
  }
}

TEST(Trainer, LossFallsAndRunDirectoryIsComplete) {
  const std::string dir = run_dir("complete");
  auto m = train(dir, 4);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_LT(m.back()["train"]["loss"].get<double>(), m.front()["train"]["loss"].get<double>());
  EXPECT_NEAR(m.back()["test"]["elbo"].get<double>(),
              -(m.back()["test"]["recon"].get<double>() + m.back()["test"]["kl"].get<double>()), 1e-6);
  for (const char* f : {"config.json", "metrics.jsonl", "checkpoints/last.pt", "checkpoints/best.pt",
                        "samples.png", "reconstructions.png"})
    EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
  // config.json re-creates the run's configuration.
  auto cfg = RunConfig::load(dir + "/config.json");
  EXPECT_EQ(cfg.to_json(), toy_config(4).to_json());
}

}  // namespace trainer_test
