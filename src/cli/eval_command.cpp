// `latentkit eval`: test-set reconstruction error, loss terms and log-likelihood of a trained run.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/eval/evaluate.h"
#include "latentkit/util/rng.h"
#include "loaded_run.h"

namespace latentkit::cli {

namespace {

struct EvalArgs {
  RunFlags run;
  std::string split = "test";
  int64_t k = 100;
  int64_t batch_size = 500;
  uint64_t seed = 1;
};

// What a likelihood figure is, by the scale the kind's likelihood is on.
std::string likelihood_note(LikelihoodScale scale, int64_t k, bool bound) {
  if (!bound) return "";
  if (scale == LikelihoodScale::EightBitBound) return "  [dequantisation bound, one uniform draw per sample]";
  return "  [IWAE bound, k=" + std::to_string(k) + "]";
}

void run_eval(const EvalArgs& a) {
  // The range of the training bound's iwae_k: a k of 10^11 would run for days.
  if (const std::string problem = between(1, 1e5)(double(a.k)); !problem.empty()) fail("--k", problem);
  if (a.batch_size < 1) fail("--batch-size", "must be at least 1");
  if (a.split != "test" && a.split != "train") fail("--split", "must be 'test' or 'train'");
  LoadedRun run = a.run.open();
  Dataset data = run.dataset();
  const Split& split = a.split == "train" ? data.train : data.test;
  EvalReport r;
  {
    ScopedSeed seed(run.device, a.seed);
    r = evaluate(*run.model, split, a.k, a.batch_size);
  }
  const ModelConfig& mc = run.model_config();
  const KindInfo& info = kind_info(mc.kind);
  nlohmann::json j{{"checkpoint", run.path}, {"kind", mc.kind}, {"split", a.split},
                   {"samples", r.samples}, {"losses", r.losses}, {"k", r.k}};
  // A flow's reconstruction is its exact inverse and a mixture has none: no error to report.
  if (info.reconstructs) {
    j["mse"] = r.mse;
    if (!std::isnan(r.bce)) j["bce"] = r.bce;
  }
  if (r.has_log_likelihood) {
    j["log_likelihood"] = r.log_likelihood;
    j["bits_per_dim"] = r.bits_per_dim;
    j["log_likelihood_is_bound"] = r.log_likelihood_is_bound;
  }
  if (a.run.json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  const double dims = static_cast<double>(split.x.size(1));
  std::printf("model       %s (%s)\n", mc.kind.c_str(), run.path.c_str());
  std::printf("data        %s, %s split, %lld samples of %lld dimensions\n", data.name.c_str(),
              a.split.c_str(), static_cast<long long>(r.samples), static_cast<long long>(split.x.size(1)));
  if (info.reconstructs) {
    std::printf("recon MSE   %.4f per sample (squared error summed over dimensions)\n", r.mse);
    if (!std::isnan(r.bce)) std::printf("recon BCE   %.4f nats per sample\n", r.bce);
  }
  for (const auto& [name, value] : r.losses) {
    std::printf("%-11s %.4f", name.c_str(), value);
    if (name == "elbo") std::printf(" nats  (%.4f bits/dim)", -value / (dims * std::log(2.0)));
    std::printf("\n");
  }
  if (r.has_log_likelihood)
    std::printf("log p(x)    %s%.4f nats  (%.4f bits/dim)%s\n", r.log_likelihood_is_bound ? ">= " : "",
                r.log_likelihood, r.bits_per_dim,
                likelihood_note(likelihood_scale(mc), r.k, r.log_likelihood_is_bound).c_str());
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Evaluate a trained run: reconstruction error, ELBO, IWAE log-likelihood");
  add_run_flags(cmd, a->run, /*json=*/true);
  cmd->add_option("--k", a->k, "Importance samples for the log-likelihood estimate")->capture_default_str();
  cmd->add_option("--split", a->split, "test or train")->capture_default_str();
  cmd->add_option("--batch-size", a->batch_size, "Evaluation batch size")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the estimate's sampling")->capture_default_str();
  cmd->callback([a] { run_eval(*a); });
}

}  // namespace latentkit::cli
