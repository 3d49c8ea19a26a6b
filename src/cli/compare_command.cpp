// `latentkit compare`: trains (or loads) several models on the same data with the same budget and
// measures them side by side (eval/comparison.h): size, training time, test reconstruction error,
// test NLL, sample quality (a Fréchet distance in a classifier's feature space) and how well the
// codes separate the classes (kNN accuracy). Writes compare.md, compare.csv and per-model
// pictures into --out.
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/data/data_config.h"
#include "latentkit/error.h"
#include "latentkit/eval/comparison.h"
#include "latentkit/eval/comparison_table.h"
#include "latentkit/models/deep_autoencoder.h"
#include "latentkit/train/training_run.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/viz/image_grid.h"
#include "latentkit/viz/latent_map.h"
#include "latentkit/viz/loss_curves.h"
#include "loaded_run.h"
#include "table_flags.h"

namespace latentkit::cli {

namespace {

namespace fs = std::filesystem;

// Every kind that models Fashion-MNIST-like images (flow2d and the tabular flow are left out).
const char* kDefaultCompareModels =
    "ae,dae,dropout-ae,vae,iwae,cvae,aae,vqvae,vamp,rbm,deep-ae,gaussian,nice,realnvp,glow,gmm";

struct CompareArgs {
  CLI::App* cmd = nullptr;
  std::string models;
  std::vector<std::string> runs;
  std::string data = "fashion-mnist";
  int64_t epochs = 5;
  int64_t limit = 0;
  std::string out;
  MeasureOptions measure;
  std::string cache_dir;
  bool quiet = false;
  TableFlags execution_flags;

  ExecutionOptions execution() const {
    ExecutionOptions o;
    execution_flags.apply(*cmd, o);
    return o;
  }
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) items.push_back(item);
  return items;
}

// The run `compare` trains for `kind`: the kind's defaults, the comparison's budget.
RunConfig comparison_config(const std::string& kind, const CompareArgs& a) {
  RunConfig cfg;
  cfg.model = default_config(kind);
  // The deep autoencoder pretrains each of its RBMs for as many epochs as the others train.
  if (auto* deep = cfg.model.options.find<DeepAutoencoderOptions>()) deep->pretrain_epochs = a.epochs;
  cfg.data.source = a.data;
  cfg.data.limit = a.limit;
  cfg.train.epochs = a.epochs;
  cfg.train.seed = a.measure.seed;
  cfg.train.execution = a.execution();
  cfg.data.validate();
  cfg.train.validate();
  return cfg;
}

// Whether a saved run was trained with the budget `wanted` asks for (its data, epochs, seed and
// the pretraining of the families that have one).
bool same_budget(const RunConfig& saved, const RunConfig& wanted) {
  const auto* a = saved.model.options.find<DeepAutoencoderOptions>();
  const auto* b = wanted.model.options.find<DeepAutoencoderOptions>();
  return saved.model.kind == wanted.model.kind && saved.data.to_json() == wanted.data.to_json() &&
         saved.train.epochs == wanted.train.epochs && saved.train.seed == wanted.train.seed &&
         (!a || !b || a->pretrain_epochs == b->pretrain_epochs);
}

// Trains `kind` into `dir` with the comparison's budget, resumes an interrupted run there, or
// leaves a finished one alone. Returns false when a stop signal interrupted training.
bool train_for_comparison(const std::string& kind, const std::string& dir, const CompareArgs& a) {
  const RunConfig wanted = comparison_config(kind, a);
  std::unique_ptr<Checkpoint> resume;
  const std::string last = dir + "/checkpoints/last.pt";
  if (fs::exists(last)) {
    auto ck = std::make_unique<Checkpoint>(load_checkpoint(last));
    if (same_budget(ck->config, wanted)) resume = std::move(ck);
    else std::cerr << "latentkit: note: " << dir << " holds a run with another budget; training it afresh\n";
  }
  RunConfig cfg = wanted;
  if (resume) {  // the saved run's choices, this invocation's execution
    cfg = resume->config;
    cfg.train.execution = wanted.train.execution;
  }
  ExecutionPolicy::for_data(cfg.train.execution).apply();
  PreparedRun run = prepare_run(cfg, resume ? &resume->preprocess : nullptr, {}, !resume);
  if (!a.quiet)
    std::cout << "== " << kind << ": " << run.model->parameter_count() << " parameters, "
              << (resume ? "resuming " : "training ") << total_epochs(run.config, *run.model)
              << " epochs into " << dir << "\n";
  TrainingRunOptions options;
  options.trainer = TrainerOptions{a.quiet, !a.quiet, nullptr};
  options.announce = false;
  const TrainingOutcome outcome = train_prepared(std::move(run), dir, resume.get(), options);
  if (outcome == TrainingOutcome::AlreadyFinished && !a.quiet)
    std::cout << "== " << kind << ": trained already (" << dir << ")\n";
  return outcome != TrainingOutcome::Interrupted;
}

// Epochs and training seconds from a run's metrics.jsonl (zeros when it is missing).
std::pair<int64_t, double> training_cost(const std::string& run_dir) {
  std::ifstream in(run_dir + "/metrics.jsonl");
  int64_t epochs = 0;
  double seconds = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      auto j = nlohmann::json::parse(line);
      ++epochs;
      seconds += j.value("seconds", 0.0);
    } catch (const std::exception&) {
      fail(run_dir + "/metrics.jsonl", "line " + std::to_string(epochs + 1) + " is not JSON");
    }
  }
  return {epochs, seconds};
}

// Throws InputError naming `dir` and the first data setting in which it differs from `first`.
void check_same_data(const std::string& dir, const DataConfig& d, const std::string& first_dir,
                     const DataConfig& first) {
  const nlohmann::json a = d.to_json(), b = first.to_json();
  for (auto it = b.begin(); it != b.end(); ++it) {
    const auto other = a.find(it.key());
    if (other == a.end() || *other != it.value())
      fail(dir, "was trained on other data than " + first_dir + ": data." + it.key() + " is " +
                    (other == a.end() ? std::string("unset") : other->dump()) + ", not " + it.value().dump() +
                    " (compare runs on one dataset)");
  }
}

ComparisonRow measure_run(const std::string& name, const std::string& run_dir, const CompareArgs& a,
                          const std::string& plots_dir, FeatureSpace* features) {
  LoadedRun run = open_run(run_dir, a.execution());
  Dataset data = run.dataset();
  if (!a.quiet) std::cout << "-- " << name << ": measuring\n" << std::flush;
  Measurement m = measure_model(*run.model, data, a.measure, features);
  m.row.name = name;
  std::tie(m.row.epochs, m.row.train_seconds) = training_cost(run_dir);
  if (!run.image_shape().empty() && m.samples.defined())
    write_image_grid(plots_dir + "/" + name + "_samples.png", m.samples, run.image_shape(), 8);
  if (m.test_codes.defined())
    write_latent_map(m.test_codes, data.test.labelled() ? data.test.y.cpu() : torch::Tensor(),
                     class_names(run.checkpoint.config.data.source), name + ": test codes",
                     plots_dir + "/" + name + "_latent_map.png");
  if (fs::exists(run_dir + "/metrics.jsonl"))
    write_loss_curves(run_dir + "/metrics.jsonl", plots_dir + "/" + name + "_loss.png", name);
  return m.row;
}

void run_compare(const CompareArgs& a) {
  if (a.out.empty()) fail("--out", "an output directory is required");
  if (!a.runs.empty() && !a.models.empty()) fail("--runs", "give --models or --runs, not both");
  if (a.epochs < 1) fail("--epochs", "must be at least 1");
  if (a.measure.k < 1) fail("--k", "must be at least 1");
  if (a.measure.fd_samples < 2) fail("--fd-samples", "must be at least 2");
  if (a.measure.gmm_components < 1) fail("--gmm-components", "must be at least 1");
  if (a.measure.knn_k < 1) fail("--knn-k", "must be at least 1");
  ExecutionPolicy::for_data(a.execution()).apply();

  // Runs to measure: (row name, run directory).
  std::vector<std::pair<std::string, std::string>> runs;
  if (!a.runs.empty()) {
    // Every run's data first, so a mismatch is reported before anything is evaluated.
    std::vector<DataConfig> data_configs;
    for (const auto& dir : a.runs) {
      const std::string path = resolve_checkpoint_path(dir);
      data_configs.push_back(load_checkpoint(path).config.data);
      runs.emplace_back(fs::path(dir).lexically_normal().filename().string(), dir);
    }
    for (size_t i = 1; i < runs.size(); ++i)
      check_same_data(runs[i].second, data_configs[i], runs.front().second, data_configs.front());
  } else {
    const auto kinds = split_list(a.models.empty() ? kDefaultCompareModels : a.models);
    if (kinds.empty()) fail("--models", "lists no model");
    for (const auto& kind : kinds) kind_info(kind, "--models");
    for (const auto& kind : kinds) {
      const std::string dir = a.out + "/runs/" + kind;
      try {
        if (!train_for_comparison(kind, dir, a)) {
          std::cerr << "latentkit: compare interrupted while training " << kind
                    << "; run it again to resume\n";
          exit_code() = 130;
          return;
        }
      } catch (const TrainingDiverged& e) {
        std::cerr << "latentkit: " << kind << " left out: " << e.what() << "\n";
        continue;
      }
      runs.emplace_back(kind, dir);
    }
  }

  if (runs.empty()) fail("--models", "no model finished training; nothing to compare");
  const std::string plots = a.out + "/plots";
  fs::create_directories(plots);
  // The feature space for the Fréchet distances: a classifier of the first run's dataset, which
  // needs labels (unlabelled data gets no Fréchet distances).
  LoadedRun first = open_run(runs.front().second, a.execution());
  Dataset data = first.dataset();
  std::unique_ptr<FeatureSpace> features;
  if (data.train.labelled() && data.test.labelled()) features = std::make_unique<FeatureSpace>(data, a.cache_dir);
  std::vector<ComparisonRow> rows;
  for (const auto& [name, dir] : runs) rows.push_back(measure_run(name, dir, a, plots, features.get()));

  ComparisonReference ref = measure_reference(data, a.measure, features.get());
  if (a.runs.empty())
    ref.budget = data.name + ", " + std::to_string(a.epochs) + " epochs per model (deep-ae: also " +
                 std::to_string(a.epochs) + " pretraining epochs per RBM), seed " + std::to_string(a.measure.seed) +
                 ", IWAE k=" + std::to_string(a.measure.k) + ", " + std::to_string(a.measure.fd_samples) +
                 " samples per Fréchet distance";
  const std::string md = comparison_markdown(rows, ref);
  write_file_atomic(a.out + "/compare.md", md);
  write_file_atomic(a.out + "/compare.csv", comparison_csv(rows));
  std::cout << "\n" << md << "\nwrote " << a.out << "/compare.md, compare.csv and plots/\n";
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto a = std::make_shared<CompareArgs>();
  auto* cmd = app.add_subcommand(
      "compare", "Train (or load) several models on the same data and tabulate them side by side");
  a->cmd = cmd;
  cmd->add_option("--models", a->models,
                  std::string("Comma-separated model kinds to train (default: ") + kDefaultCompareModels + ")");
  cmd->add_option("--runs", a->runs, "Trained run directories to compare instead of training");
  cmd->add_option("--data", a->data, "Dataset for --models (as in train)")->capture_default_str();
  cmd->add_option("--epochs", a->epochs, "Training epochs per model (the budget)")->capture_default_str();
  cmd->add_option("--limit", a->limit, "Use at most this many training samples (0: all)")->capture_default_str();
  cmd->add_option("--out", a->out, "Output directory (runs/, plots/, compare.md, compare.csv)")->required();
  cmd->add_option("--k", a->measure.k, "Importance samples of the VAEs' log-likelihood estimate")->capture_default_str();
  cmd->add_option("--fd-samples", a->measure.fd_samples, "Generated images per Fréchet distance")->capture_default_str();
  cmd->add_option("--gmm-components", a->measure.gmm_components, "Components of the mixture fitted to the codes")
      ->capture_default_str();
  cmd->add_option("--knn-k", a->measure.knn_k, "Neighbours of the kNN accuracy")->capture_default_str();
  cmd->add_option("--cache", a->cache_dir,
                  "Directory caching the feature classifier (default: $XDG_CACHE_HOME/latentkit)");
  cmd->add_option("--seed", a->measure.seed, "Seed of training and sampling")->capture_default_str();
  cmd->add_flag("--quiet", a->quiet, "No progress lines (the table is still printed)");
  add_execution_flags(cmd, a->execution_flags, /*training=*/true);
  cmd->callback([a] { run_compare(*a); });
}

}  // namespace latentkit::cli
