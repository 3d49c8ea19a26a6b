// `latentkit quality`: the Fréchet distance, in the feature space of a classifier trained on the
// run's dataset, between generated samples and the test set (see eval/feature_classifier.h).
#include <torch/torch.h>

#include <cstdio>

#include "commands.h"
#include "latentkit/error.h"
#include "latentkit/eval/feature_classifier.h"
#include "latentkit/eval/code_sampler.h"
#include "latentkit/util/rng.h"
#include <iostream>
#include <nlohmann/json.hpp>
#include "loaded_run.h"

namespace latentkit::cli {

namespace {

struct QualityArgs {
  RunFlags run;
  std::string sampler = "prior";
  std::string cache;
  int64_t n = 10000;
  uint64_t seed = 1;
};

void run_quality(const QualityArgs& a) {
  if (a.n < 2) fail("--n", "must be at least 2");
  const SamplerSpec spec = parse_sampler_spec(a.sampler, "--sampler");
  LoadedRun run = a.run.open();
  Dataset data = run.dataset();
  if (!data.train.labelled() || !data.test.labelled())
    fail(a.run.run, "the run's dataset " + data.name + " has no labels: the feature classifier needs them");
  const std::string cache = a.cache.empty() ? default_cache_dir() : a.cache;
  auto classifier = load_or_train(data, cache);
  const std::string where = feature_classifier_cache_path(data, cache);
  if (!a.run.json) {  // before the sampling, which takes a while
    std::printf("classifier  MLP %lld-512-128-%lld on %s: test accuracy %.4f (%s %s)\n",
                static_cast<long long>(data.dim()), static_cast<long long>(data.num_classes()),
                data.name.c_str(), classifier->test_accuracy,
                classifier->from_cache ? "cached in" : "trained now, cached in", where.c_str());
    if (!classifier->from_cache) std::printf("            trained in %.1f s\n", classifier->train_seconds);
    std::fflush(stdout);
  }
  torch::Tensor generated, reference;
  {
    torch::NoGradGuard no_grad;
    ScopedSeed seed(run.device, a.seed);
    // The reference images first, so that every sampler is compared with the same floor.
    auto pick = torch::randperm(data.train.size(), torch::TensorOptions().dtype(torch::kLong).device(run.device))
                    .narrow(0, 0, std::min(a.n, data.train.size()));
    reference = data.train.x.index_select(0, pick);
    generated = draw_model_samples(*run.model, spec, a.n, data.train.x, data.train.y);
  }
  const double fd = sample_frechet_distance(*classifier, generated, data.test.x);
  const double floor = sample_frechet_distance(*classifier, reference, data.test.x);
  if (a.run.json) {
    nlohmann::json j{{"checkpoint", run.path}, {"sampler", spec.text()}, {"samples", a.n},
                     {"frechet", fd}, {"reference", floor}, {"classifier_accuracy", classifier->test_accuracy},
                     {"classifier_cache", where}};
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("frechet     %.4f  (%lld samples, sampler %s, vs the %lld test images)\n", fd,
              static_cast<long long>(a.n), spec.text().c_str(), static_cast<long long>(data.test.size()));
  std::printf("reference   %.4f  (%lld training images vs the test images: the floor)\n", floor,
              static_cast<long long>(reference.size(0)));
}

}  // namespace

void add_quality_command(CLI::App& app) {
  auto a = std::make_shared<QualityArgs>();
  auto* cmd = app.add_subcommand(
      "quality", "Sample quality: Fréchet distance of generated samples to the test set in the "
                 "features of a classifier trained on the dataset (not the Inception FID)");
  add_run_flags(cmd, a->run, /*json=*/true);
  cmd->add_option("--n", a->n, "Generated samples (and training images for the reference)")->capture_default_str();
  cmd->add_option("--sampler", a->sampler, "prior, gaussian or gmm:K[:diag] (see `sample --help`)")
      ->capture_default_str();
  cmd->add_option("--cache", a->cache,
                  "Directory of cached classifiers (default $XDG_CACHE_HOME/latentkit or ~/.cache/latentkit)");
  cmd->add_option("--seed", a->seed, "Random seed of the samples")->capture_default_str();
  cmd->callback([a] { run_quality(*a); });
}

}  // namespace latentkit::cli
