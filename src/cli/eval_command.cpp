// `latentkit eval`: test-set reconstruction error, loss terms and log-likelihood of a trained run.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "latentkit/error.h"
#include "latentkit/eval/evaluate.h"
#include "latentkit/flows/flow_architectures.h"
#include "latentkit/flows/flow_model.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/util/rng.h"
#include "latentkit/util/runtime.h"
#include "loaded_run.h"

namespace latentkit::cli {

namespace {

struct EvalArgs {
  std::string run;
  std::string device = "cpu";
  std::string split = "test";
  int64_t k = 100;
  int64_t batch_size = 500;
  uint64_t seed = 1;
  int threads = 0;
  std::string json_out;
};

void run_eval(const EvalArgs& a) {
  if (a.k < 1) fail("--k", "must be at least 1");
  configure_threads(a.threads);
  LoadedRun run = open_run(a.run, a.device);
  Dataset data = run.dataset();
  const Split& split = a.split == "train" ? data.train : data.test;
  if (a.split != "test" && a.split != "train") fail("--split", "must be 'test' or 'train'");
  EvalReport r;
  {
    ScopedSeed seed(run.device, a.seed);
    r = evaluate(*run.model, split, a.k, a.batch_size);
  }
  const double dims = static_cast<double>(split.x.size(1));
  const double ln2 = std::log(2.0);
  std::printf("model       %s (%s)\n", run.checkpoint.config.model.kind.c_str(), run.path.c_str());
  std::printf("data        %s, %s split, %lld samples of %lld dimensions\n", data.name.c_str(),
              a.split.c_str(), static_cast<long long>(r.samples), static_cast<long long>(split.x.size(1)));
  // A flow's reconstruction is its exact inverse: its error says nothing about the model.
  if (!dynamic_cast<const FlowModel*>(run.model.get())) {
    std::printf("recon MSE   %.4f per sample (squared error summed over dimensions)\n", r.mse);
    if (!std::isnan(r.bce)) std::printf("recon BCE   %.4f nats per sample\n", r.bce);
  }
  for (const auto& [name, value] : r.losses) {
    std::printf("%-11s %.4f", name.c_str(), value);
    if (name == "elbo") std::printf(" nats  (%.4f bits/dim)", -value / (dims * ln2));
    std::printf("\n");
  }
  if (r.has_log_likelihood)
    std::printf("log p(x)    %s%.4f nats  (%.4f bits/dim)%s\n", r.log_likelihood_is_bound ? ">= " : "",
                r.log_likelihood, r.bits_per_dim,
                !r.log_likelihood_is_bound ? ""
                : is_image_flow(run.checkpoint.config.model.kind) || run.checkpoint.config.model.kind == "gmm"
                    ? "  [dequantisation bound, one uniform draw per sample]"
                    : ("  [IWAE bound, k=" + std::to_string(r.k) + "]").c_str());
  nlohmann::json j{{"checkpoint", run.path}, {"split", a.split},     {"samples", r.samples},
                   {"mse", r.mse},           {"losses", r.losses},   {"k", r.k}};
  if (!std::isnan(r.bce)) j["bce"] = r.bce;
  if (r.has_log_likelihood) {
    j["log_likelihood"] = r.log_likelihood;
    j["bits_per_dim"] = r.bits_per_dim;
    j["log_likelihood_is_bound"] = r.log_likelihood_is_bound;
  }
  if (!a.json_out.empty()) write_file_atomic(a.json_out, j.dump(2) + "\n");
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Evaluate a trained run: reconstruction error, ELBO, IWAE log-likelihood");
  cmd->add_option("--run", a->run, "Run directory or checkpoint file")->required();
  cmd->add_option("--k", a->k, "Importance samples for the log-likelihood estimate")->capture_default_str();
  cmd->add_option("--split", a->split, "test or train")->capture_default_str();
  cmd->add_option("--batch-size", a->batch_size, "Evaluation batch size")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the estimate's sampling")->capture_default_str();
  cmd->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--threads", a->threads, "Compute threads (0 chooses)")->capture_default_str();
  cmd->add_option("--json", a->json_out, "Also write the figures as JSON to this file");
  cmd->callback([a] { run_eval(*a); });
}

}  // namespace latentkit::cli
