// `latentkit encode` (latent codes) and `latentkit score` (per-sample log-likelihood and
// reconstruction error: the anomaly-detection use).
#include <torch/torch.h>

#include <iostream>

#include "commands.h"
#include "latentkit/data/loaders.h"
#include "latentkit/error.h"
#include "latentkit/eval/batched.h"
#include "latentkit/eval/evaluate.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/util/rng.h"
#include "loaded_run.h"

namespace latentkit::cli {

namespace {

struct RowsArgs {
  RunFlags run;
  std::string out;
  std::string input;
  std::string split = "test";
  int64_t k = 100;
  int64_t batch_size = 1000;
  uint64_t seed = 1;
};

bool is_npy(const std::string& path) {
  return path.size() > 4 && path.substr(path.size() - 4) == ".npy";
}

void write_table(const std::string& path, std::vector<std::string> names, torch::Tensor table) {
  if (is_npy(path)) write_npy(path, table);
  else if (path.size() > 4 && path.substr(path.size() - 4) == ".csv") write_csv(path, names, table);
  else fail(path, "unknown output type (use .csv or .npy)");
}

void run_encode(const RowsArgs& a) {
  if (a.batch_size < 1) fail("--batch-size", "must be at least 1");
  LoadedRun run = a.run.open();
  torch::Tensor y;
  auto x = run.inputs(a.input, a.split, &y);
  auto z = encode_batched(*run.model, x, y, a.batch_size).cpu().to(torch::kFloat32);  // [N, L]
  std::vector<std::string> names;
  for (int64_t j = 0; j < z.size(1); ++j) names.push_back("z" + std::to_string(j));
  if (y.defined()) {  // labels ride along as the last column
    z = torch::cat({z, y.cpu().to(torch::kFloat32).unsqueeze(1)}, 1);
    names.push_back("label");
  }
  write_table(a.out, names, z);
  if (!a.run.quiet)
    std::cout << "encoded " << z.size(0) << " samples to " << a.out << " (" << run.model->latent_dim()
            << " latent dimensions" << (y.defined() ? ", labels in the last column" : "") << ")\n";
}

void run_score(const RowsArgs& a) {
  // The range of the training bound's iwae_k: a k of 10^11 would run for days.
  if (const std::string problem = between(1, 1e5)(double(a.k)); !problem.empty()) fail("--k", problem);
  if (a.batch_size < 1) fail("--batch-size", "must be at least 1");
  LoadedRun run = a.run.open();
  torch::Tensor y;
  auto x = run.inputs(a.input, a.split, &y);
  ScopedSeed seed(run.device, a.seed);
  Scores s = score(*run.model, x, a.k, a.batch_size, y);
  std::vector<std::string> names{"index"};
  std::vector<torch::Tensor> cols{torch::arange(x.size(0), torch::kFloat32)};
  if (y.defined()) {
    names.push_back("label");
    cols.push_back(y.cpu().to(torch::kFloat32));
  }
  if (s.log_likelihood.defined()) {
    names.push_back("log_likelihood");
    cols.push_back(s.log_likelihood.cpu().to(torch::kFloat32));
  }
  names.push_back("reconstruction_error");
  cols.push_back(s.reconstruction_error.cpu().to(torch::kFloat32));
  write_table(a.out, names, torch::stack(cols, 1));
  const bool eight_bit = likelihood_scale(run.model_config()) == LikelihoodScale::EightBitBound;
  if (!a.run.quiet)
    std::cout << "scored " << x.size(0) << " samples to " << a.out
              << (s.log_likelihood.defined() ? " (log-likelihood in nats" : " (no likelihood for this model")
              << (!run.model->log_likelihood_is_bound() ? ""
                  : eight_bit ? std::string(", dequantisation bound of the 8-bit data")
                              : ", IWAE bound with k=" + std::to_string(a.k))
              << "; squared reconstruction error)\n";
}

void add_rows_options(CLI::App* cmd, RowsArgs& a) {
  add_run_flags(cmd, a.run);
  cmd->add_option("--out", a.out, "Output file: .csv or .npy")->required();
  cmd->add_option("--input", a.input, "IDX, CSV, .npy or PNG/JPEG file (or folder of images) of inputs (default: the run's data)");
  cmd->add_option("--split", a.split, "test or train, when --input is not given")->capture_default_str();
  cmd->add_option("--batch-size", a.batch_size, "Batch size")->capture_default_str();
}

}  // namespace

void add_encode_command(CLI::App& app) {
  auto a = std::make_shared<RowsArgs>();
  auto* cmd = app.add_subcommand("encode", "Write latent codes (means of q(z|x)) with labels to CSV or .npy");
  add_rows_options(cmd, *a);
  cmd->callback([a] { run_encode(*a); });
}

void add_score_command(CLI::App& app) {
  auto a = std::make_shared<RowsArgs>();
  auto* cmd = app.add_subcommand("score", "Per-sample log-likelihood and reconstruction error (anomaly scores)");
  add_rows_options(cmd, *a);
  cmd->add_option("--k", a->k, "Importance samples for the log-likelihood estimate")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the estimate's sampling")->capture_default_str();
  cmd->callback([a] { run_score(*a); });
}

}  // namespace latentkit::cli
