// Checkpoints round-trip bit for bit (weights, optimizer state, generator state, progress), and
// damaged files are rejected with a message naming them.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "latentkit/models/vae.h"
#include "latentkit/models/network.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/train/checkpoint.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/util/rng.h"

namespace fs = std::filesystem;
using namespace latentkit;

namespace checkpoint_test {

ModelConfig tiny_vae() {
  ModelConfig c = default_config("vae");
  c.input_dim = 6;
  c.get<NetworkOptions>().hidden = {5};
  c.get<NetworkOptions>().latent_dim = 2;
  c.get<VaeOptions>().likelihood = "bernoulli";
  return c;
}

std::string temp_path(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("latentkit_ckpt_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

// A checkpoint after a few real optimisation steps, so the optimizer has state.
Checkpoint trained_checkpoint(std::shared_ptr<Model>& model) {
  torch::manual_seed(3);
  model = make_model(tiny_vae());
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-2));
  auto x = torch::rand({8, 6});
  for (int i = 0; i < 3; ++i) {
    adam.zero_grad();
    model->losses(x)["loss"].backward();
    adam.step();
  }
  Checkpoint ck;
  ck.config.model = tiny_vae();
  ck.config.train.epochs = 7;
  ck.progress.epoch = 2;
  ck.progress.batch = 5;
  ck.progress.sums = {{"loss", 12.5}, {"kl", 0.25}};
  ck.progress.seen = 40;
  ck.progress.seconds = 1.5;
  ck.progress.best_test_loss = 3.75;
  ck.model = model_state(*model);
  ck.preprocess = Preprocessor::fit(torch::rand({10, 6}) * 255, Scaling::Unit, true, 255.0);
  ck.optimizers["model"] = optimizer_bytes(adam);
  ck.rng_cpu = generator_state(torch::kCPU);
  ck.permutation = torch::randperm(40);
  return ck;
}


TEST(Checkpoint, RoundTripsBitExactly) {
  std::shared_ptr<Model> model;
  Checkpoint ck = trained_checkpoint(model);
  const std::string path = temp_path("roundtrip.pt");
  save_checkpoint(path, ck);
  Checkpoint back = load_checkpoint(path);

  ASSERT_EQ(back.model.size(), ck.model.size());
  for (const auto& [name, t] : ck.model) {
    ASSERT_TRUE(back.model.count(name)) << name;
    EXPECT_TRUE(torch::equal(back.model.at(name), t)) << name;
  }
  EXPECT_EQ(back.optimizers.at("model"), ck.optimizers.at("model"));
  EXPECT_TRUE(torch::equal(back.rng_cpu, ck.rng_cpu));
  EXPECT_TRUE(torch::equal(back.permutation, ck.permutation));
  EXPECT_TRUE(torch::equal(back.preprocess.offset, ck.preprocess.offset));
  EXPECT_TRUE(torch::equal(back.preprocess.scale, ck.preprocess.scale));
  EXPECT_TRUE(back.preprocess.binarize);
  EXPECT_EQ(back.progress.epoch, 2);
  EXPECT_EQ(back.progress.batch, 5);
  EXPECT_EQ(back.progress.sums, ck.progress.sums);
  EXPECT_EQ(back.progress.best_test_loss, 3.75);
  EXPECT_EQ(back.config.train.epochs, 7);
  EXPECT_EQ(back.config.model.to_json(), ck.config.model.to_json());

  // Loading into a fresh model and optimizer reproduces the same weights and the same state.
  torch::manual_seed(99);
  auto fresh = make_model(tiny_vae());
  load_model_state(*fresh, back.model, path);
  for (const auto& [name, t] : model_state(*fresh)) EXPECT_TRUE(torch::equal(t, ck.model.at(name))) << name;
  torch::optim::Adam adam(fresh->parameters(), torch::optim::AdamOptions(1e-2));
  load_optimizer_bytes(adam, back.optimizers.at("model"), path);
  // The archive names parameters by address, so compare behaviour: the restored optimizer's
  // next step equals the original's, bit for bit.
  torch::optim::Adam original(model->parameters(), torch::optim::AdamOptions(1e-2));
  load_optimizer_bytes(original, ck.optimizers.at("model"), path);
  auto x = torch::rand({8, 6});
  for (auto* m : {model.get(), fresh.get()}) {
    torch::manual_seed(21);  // the same reparameterisation noise for both
    auto& opt = m == model.get() ? original : adam;
    opt.zero_grad();
    m->losses(x)["loss"].backward();
    opt.step();
  }
  for (const auto& [name, t] : model_state(*fresh))
    EXPECT_TRUE(torch::equal(t, model_state(*model).at(name))) << name;

  // The restored generator continues the same stream.
  set_generator_state(torch::kCPU, ck.rng_cpu);
  auto a = torch::rand({5});
  set_generator_state(torch::kCPU, back.rng_cpu);
  auto b = torch::rand({5});
  EXPECT_TRUE(torch::equal(a, b));
}

TEST(Checkpoint, WritesAtomicallyWithoutLeftovers) {
  std::shared_ptr<Model> model;
  Checkpoint ck = trained_checkpoint(model);
  const std::string path = temp_path("atomic.pt");
  save_checkpoint(path, ck);
  save_checkpoint(path, ck);  // overwrite in place
  for (const auto& entry : fs::directory_iterator(fs::path(path).parent_path()))
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
}

TEST(Checkpoint, RejectsDamagedFilesNamingThem) {
  std::shared_ptr<Model> model;
  Checkpoint ck = trained_checkpoint(model);
  const std::string good = temp_path("good.pt");
  save_checkpoint(good, ck);
  const std::string bytes = read_file(good);

  auto expect_rejected = [](const std::string& path) {
    try {
      load_checkpoint(path);
      ADD_FAILURE() << "accepted " << path;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  };
  const std::string truncated = temp_path("truncated.pt");
  write_file_atomic(truncated, bytes.substr(0, bytes.size() / 2));
  expect_rejected(truncated);
  const std::string garbage = temp_path("garbage.pt");
  write_file_atomic(garbage, "definitely not a checkpoint");
  expect_rejected(garbage);
  expect_rejected(temp_path("missing.pt"));
}

TEST(Checkpoint, RejectsWeightsOfAnotherShape) {
  std::shared_ptr<Model> model;
  Checkpoint ck = trained_checkpoint(model);
  ModelConfig wider = tiny_vae();
  wider.get<NetworkOptions>().hidden = {7};
  auto other = make_model(wider);
  EXPECT_THROW(load_model_state(*other, ck.model, "ck.pt"), InputError);
}

}  // namespace checkpoint_test
