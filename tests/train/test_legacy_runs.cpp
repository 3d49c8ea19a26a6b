// Runs written by latentkit 0.1.0 still open: tests/fixtures/v0.1.0 holds one tiny run of every
// kind 0.1.0 had (its config.json and last checkpoint) and what 0.1.0 computed from it on fixed
// inputs (make_fixtures.sh): codes, decodings of those codes and per-sample scores. Today's code
// reads the old configs (one object with every kind's fields) and must compute the same numbers.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "latentkit/catalog/catalog.h"
#include "latentkit/data/data_config.h"
#include "latentkit/data/loaders.h"
#include "latentkit/eval/batched.h"
#include "latentkit/eval/evaluate.h"
#include "latentkit/train/checkpoint.h"
#include "latentkit/train/run_config.h"
#include "latentkit/util/rng.h"

namespace latentkit {
namespace legacy_runs_test {

const std::string kFixtures = std::string(LATENTKIT_SOURCE_DIR) + "/tests/fixtures/v0.1.0";

// A CSV with a header: column name -> values.
std::map<std::string, std::vector<double>> read_columns(const std::string& path) {
  std::ifstream in(path);
  std::string line, cell;
  std::getline(in, line);
  std::vector<std::string> names;
  for (std::stringstream ss(line); std::getline(ss, cell, ',');) names.push_back(cell);
  std::map<std::string, std::vector<double>> columns;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    for (const auto& name : names) {
      std::getline(ss, cell, ',');
      columns[name].push_back(std::stod(cell));
    }
  }
  return columns;
}

void expect_close(const torch::Tensor& got, const torch::Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const double scale = std::max(1.0, want.abs().max().item<double>());
  EXPECT_LE((got.to(torch::kFloat64) - want.to(torch::kFloat64)).abs().max().item<double>(), tol * scale) << what;
}

class LegacyRun : public testing::TestWithParam<std::string> {};

TEST_P(LegacyRun, OpensAndComputesWhatTheOldVersionComputed) {
  const std::string kind = GetParam(), dir = kFixtures + "/" + kind;
  torch::NoGradGuard no_grad;
  const RunConfig config = RunConfig::load(dir + "/config.json");
  EXPECT_EQ(config.model.kind, kind);
  const Checkpoint ck = load_checkpoint(dir + "/last.pt");
  EXPECT_EQ(ck.config.model.to_json(), config.model.to_json());
  auto model = make_model(ck.config.model);
  load_model_state(*model, ck.model, dir + "/last.pt");
  model->eval();

  // The inputs 0.1.0 saw: the fixture file, or for the conditional VAE its labelled test split.
  torch::Tensor x, y;
  if (kind_info(kind).conditional) {
    const Dataset data = load_dataset(ck.config.data, &ck.preprocess);
    x = data.test.x;
    y = data.test.y;
  } else {
    const bool images = ck.config.model.image();
    x = load_inputs(kFixtures + (images ? "/images.npy" : "/points.npy"), ck.preprocess, ck.config.model.input_dim);
  }
  const torch::Tensor saved_codes = read_npy(dir + "/codes.npy");  // [N, L] (+ a label column for cvae)
  const int64_t latent = model->latent_dim();
  const torch::Tensor codes = encode_batched(*model, x, y);
  expect_close(codes, saved_codes.narrow(1, 0, latent), 1e-4, kind + " codes");
  if (y.defined()) expect_close(y.to(torch::kFloat32), saved_codes.select(1, latent), 0, kind + " labels");

  const torch::Tensor decoded = ck.preprocess.invert(model->decode(saved_codes.narrow(1, 0, latent), y));
  expect_close(decoded, read_npy(dir + "/decoded.npy"), 1e-4, kind + " decodings");

  if (y.defined()) return;  // 0.1.0 scored no conditional run (input files carry no labels)
  const auto columns = read_columns(dir + "/scores.csv");
  Scores s;
  {
    ScopedSeed seed(torch::kCPU, 5);  // make_fixtures.sh: score --k 4 --seed 5
    s = score(*model, x, 4, 1000, y);
  }
  expect_close(s.reconstruction_error, torch::tensor(columns.at("reconstruction_error")).to(torch::kFloat32), 1e-4,
               kind + " reconstruction errors");
  ASSERT_EQ(columns.count("log_likelihood") > 0, s.log_likelihood.defined()) << kind;
  if (s.log_likelihood.defined())
    expect_close(s.log_likelihood, torch::tensor(columns.at("log_likelihood")).to(torch::kFloat32), 1e-4,
                 kind + " log-likelihoods");
}

INSTANTIATE_TEST_SUITE_P(V010, LegacyRun,
                         testing::Values("ae", "vae", "dae", "dropout-ae", "iwae", "cvae", "aae", "rbm",
                                         "deep-ae", "flow2d", "flow", "gmm", "nice", "realnvp", "glow",
                                         "gaussian"),
                         [](const testing::TestParamInfo<std::string>& p) {
                           std::string name = p.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace legacy_runs_test
}  // namespace latentkit
