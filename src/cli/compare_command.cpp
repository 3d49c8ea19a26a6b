// `latentkit compare`: trains (or loads) several models on the same data with the same budget and
// measures them side by side: size, training time, test reconstruction error, test NLL, sample
// quality (a Fréchet distance in a classifier's feature space) and how well the codes separate
// the classes (kNN accuracy). Writes compare.md, compare.csv and per-model pictures into --out.
#include <torch/torch.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.h"
#include "latentkit/data/data_config.h"
#include "latentkit/error.h"
#include "latentkit/eval/batched.h"
#include "latentkit/eval/comparison_table.h"
#include "latentkit/eval/evaluate.h"
#include "latentkit/eval/feature_classifier.h"
#include "latentkit/eval/frechet.h"
#include "latentkit/eval/knn.h"
#include "latentkit/flows/flow_architectures.h"
#include "latentkit/flows/flow_model.h"
#include "latentkit/models/code_sampler.h"
#include "latentkit/train/trainer.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/util/rng.h"
#include "latentkit/util/runtime.h"
#include "latentkit/viz/image_grid.h"
#include "latentkit/viz/latent_map.h"
#include "latentkit/viz/loss_curves.h"
#include "loaded_run.h"
#include "run_setup.h"

namespace latentkit::cli {

namespace {

namespace fs = std::filesystem;

// Every kind that models Fashion-MNIST-like images (flow2d and the tabular flow are left out).
const char* kDefaultCompareModels =
    "ae,dae,dropout-ae,vae,iwae,cvae,aae,rbm,deep-ae,gaussian,nice,realnvp,glow,gmm";

// The mixture fitted to a model's codes (the "FD gmm" column): its data and covariance limits.
constexpr int64_t kMaxMixtureCodes = 20000;
constexpr int64_t kMaxFullCovarianceDims = 64;

struct CompareArgs {
  std::string models;
  std::vector<std::string> runs;
  std::string data = "fashion-mnist";
  int64_t epochs = 5;
  int64_t limit = 0;
  std::string out;
  int64_t k = 1000;
  int64_t fd_samples = 10000;
  int64_t gmm_components = 10;
  int64_t knn_k = 5;
  std::string cache_dir;
  uint64_t seed = 1;
  int threads = 0;
  std::string device = "cpu";
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) items.push_back(item);
  return items;
}

bool kind_known(const std::string& kind) {
  for (const auto& info : model_catalog())
    if (info.name == kind) return true;
  return false;
}

// Kinds whose likelihood is a probability of the 8-bit images (dequantised densities).
bool models_8bit_levels(const std::string& kind) { return is_image_flow(kind) || kind == "gmm"; }

// Trains `kind` into `dir` with the comparison's budget, resumes an interrupted run there, or
// leaves a finished one alone. Returns false when a stop signal interrupted training.
bool train_for_comparison(const std::string& kind, const std::string& dir, const CompareArgs& a) {
  RunConfig cfg;
  cfg.model.kind = kind;
  apply_kind_defaults(cfg.model);
  cfg.model.likelihood = "auto";
  // The deep autoencoder pretrains each of its RBMs for as many epochs as the others train.
  cfg.model.pretrain_epochs = a.epochs;
  cfg.data.source = a.data;
  cfg.data.limit = a.limit;
  cfg.train.epochs = a.epochs;
  cfg.train.seed = a.seed;
  cfg.train.threads = a.threads;
  cfg.train.device = a.device;
  cfg.train.validate();

  std::unique_ptr<Checkpoint> resume;
  const std::string last = dir + "/checkpoints/last.pt";
  if (fs::exists(last)) {
    auto ck = std::make_unique<Checkpoint>(load_checkpoint(last));
    const RunConfig& saved = ck->config;
    const bool same = saved.model.kind == kind && saved.data.source == a.data &&
                      saved.data.limit == a.limit && saved.train.epochs == a.epochs &&
                      saved.train.seed == a.seed &&
                      (kind != "deep-ae" || saved.model.pretrain_epochs == a.epochs);
    if (same) resume = std::move(ck);
    else std::cerr << "latentkit: note: " << dir << " holds a run with another budget; training it afresh\n";
  }
  PreparedRun run = prepare_run(resume ? resume->config : cfg, resume ? &resume->preprocess : nullptr);
  const int64_t total = run.model->pretraining_epochs() + run.config.train.epochs;
  if (resume && resume->progress.epoch >= total && resume->progress.batch == 0) {
    std::cout << "== " << kind << ": trained already (" << dir << ")\n";
    return true;
  }
  prefer_threads_for(run.model->works_on_intra_op_threads());
  std::cout << "== " << kind << ": " << count_parameters(*run.model) << " parameters, "
            << (resume ? "resuming " : "training ") << total << " epochs into " << dir << "\n";
  Trainer trainer(run.config, std::move(run.data), run.model, dir, TrainerOptions{false, true});
  return trainer.run(resume.get());
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

// Draws n samples in chunks (a flow's inverse on 10,000 images at once needs gigabytes).
torch::Tensor sample_in_chunks(int64_t n, const std::function<torch::Tensor(int64_t)>& draw) {
  std::vector<torch::Tensor> parts;
  for (int64_t done = 0; done < n; done += 500) parts.push_back(draw(std::min<int64_t>(500, n - done)));
  return torch::cat(parts);
}

// The feature space of the comparison's Fréchet distances: latentkit's classifier for the
// dataset (cached) and the features of the test images, computed once.
class FeatureSpace {
 public:
  FeatureSpace(const Dataset& data, const std::string& cache_dir)
      : classifier_(load_or_train(data, cache_dir.empty() ? default_cache_dir() : cache_dir)),
        test_features_(classifier_->features_batched(data.test.x)),
        train_x_(data.train.x) {}
  double frechet_to_test(const torch::Tensor& generated) {
    return frechet_distance(classifier_->features_batched(generated), test_features_);
  }
  // Two real sets: as many training images as there are test images, against the test set.
  double frechet_train_to_test() {
    const int64_t n = std::min(train_x_.size(0), test_features_.size(0));
    return frechet_to_test(train_x_.narrow(0, 0, n));
  }
  double classifier_accuracy() const { return classifier_->test_accuracy; }

 private:
  std::shared_ptr<FeatureClassifier> classifier_;
  torch::Tensor test_features_;
  torch::Tensor train_x_;
};

ComparisonRow measure_run(const std::string& name, const std::string& run_dir, const CompareArgs& a,
                          const std::string& plots_dir, FeatureSpace* features) {
  LoadedRun run = open_run(run_dir, a.device);
  Dataset data = run.dataset();
  Model& model = *run.model;
  const std::string kind = run.checkpoint.config.model.kind;
  const bool is_flow = dynamic_cast<const FlowModel*>(&model) != nullptr;
  const bool images = !run.image_shape().empty();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  torch::NoGradGuard no_grad;

  ComparisonRow row;
  row.name = name;
  row.kind = kind;
  row.parameters = count_parameters(model);
  std::tie(row.epochs, row.train_seconds) = training_cost(run_dir);

  std::cout << "-- " << name << ": evaluating" << std::flush;
  EvalReport r;
  {
    ScopedSeed seed(run.device, a.seed);
    // The IWAE estimate holds k codes per image: smaller batches keep its tensors small.
    const bool importance_sampled = model.has_log_likelihood() && model.log_likelihood_is_bound() &&
                                    !models_8bit_levels(kind);
    r = evaluate(model, data.test, a.k, importance_sampled ? 50 : 500);
  }
  const bool reconstructs = !is_flow && kind != "gmm";
  row.mse = reconstructs ? r.mse : nan;
  row.bce = reconstructs ? r.bce : nan;
  row.nll_nats = r.has_log_likelihood ? -r.log_likelihood : nan;
  row.bits_per_dim = r.has_log_likelihood ? r.bits_per_dim : nan;
  // On images only the dequantised densities are probabilities of the 8-bit levels; other data
  // is modelled as it is, so every likelihood is a density of the same model-space values.
  row.nll_on_8bit_scale = images ? models_8bit_levels(kind) : true;
  if (!r.has_log_likelihood) row.nll_kind = NllKind::None;
  else if (!r.log_likelihood_is_bound) row.nll_kind = NllKind::Exact;
  else if (row.nll_on_8bit_scale) row.nll_kind = NllKind::DequantBound;
  else row.nll_kind = NllKind::IwaeBound;
  row.iwae_k = r.k;

  // Samples: the prior where the model has one, else a Gaussian fitted to the training codes.
  std::cout << ", sampling" << std::flush;
  const bool conditional = model.config().conditional();
  auto labels_for = [&](int64_t n) {
    return conditional ? torch::randint(model.config().num_classes, {n},
                                        torch::TensorOptions().dtype(torch::kLong).device(run.device))
                       : torch::Tensor();
  };
  ScopedSeed seed(run.device, a.seed);
  torch::Tensor prior_samples;
  try {
    prior_samples = sample_in_chunks(a.fd_samples, [&](int64_t n) { return model.sample(n, labels_for(n)); });
    row.prior_sampler = "prior";
  } catch (const InputError&) {
    prior_samples = torch::Tensor();
  }
  torch::Tensor train_codes, test_codes;
  if (!is_flow && kind != "gmm") {
    train_codes = encode_batched(model, data.train.x, data.train.y);
    test_codes = encode_batched(model, data.test.x, data.test.y);
  }
  if (!prior_samples.defined() && train_codes.defined()) {
    auto sampler = GaussianCodeSampler::fit(train_codes);
    prior_samples = sample_in_chunks(a.fd_samples, [&](int64_t n) {
      return model.decode(sampler.sample(n), labels_for(n));
    });
    row.prior_sampler = "gaussian";
  }
  row.fd_prior = prior_samples.defined() && features ? features->frechet_to_test(prior_samples) : nan;
  row.fd_gmm = nan;
  if (train_codes.defined() && features) {
    // EM on wide codes (the RBM's 500 hidden units) with full covariances would take minutes
    // per model: those get diagonal ones, and every fit sees at most 20,000 codes.
    const auto fit_codes = train_codes.narrow(0, 0, std::min<int64_t>(train_codes.size(0), kMaxMixtureCodes));
    const auto covariance = fit_codes.size(1) <= kMaxFullCovarianceDims ? CovarianceType::Full : CovarianceType::Diagonal;
    auto gmm = MixtureCodeSampler::fit(fit_codes, a.gmm_components, covariance, a.seed);
    auto gmm_samples = sample_in_chunks(a.fd_samples, [&](int64_t n) {
      return model.decode(gmm.sample(n, train_codes.scalar_type()).to(run.device), labels_for(n));
    });
    row.fd_gmm = features->frechet_to_test(gmm_samples);
  }

  std::cout << ", kNN" << std::flush;
  row.knn_accuracy = nan;
  if (data.train.labelled() && data.test.labelled()) {
    if (!train_codes.defined()) {  // flows and mixtures: whatever encode() gives
      train_codes = encode_batched(model, data.train.x, data.train.y, 500);
      test_codes = encode_batched(model, data.test.x, data.test.y, 500);
    }
    row.knn_accuracy = knn_accuracy(train_codes, data.train.y, test_codes, data.test.y, a.knn_k);
  }

  std::cout << ", pictures\n";
  if (images && prior_samples.defined())
    write_image_grid(plots_dir + "/" + name + "_samples.png", prior_samples.narrow(0, 0, std::min<int64_t>(64, prior_samples.size(0))).cpu(),
                     run.image_shape(), 8);
  if (test_codes.defined())
    write_latent_map(test_codes.cpu(), data.test.labelled() ? data.test.y.cpu() : torch::Tensor(),
                     class_names(run.checkpoint.config.data.source), name + ": test codes",
                     plots_dir + "/" + name + "_latent_map.png");
  if (fs::exists(run_dir + "/metrics.jsonl"))
    write_loss_curves(run_dir + "/metrics.jsonl", plots_dir + "/" + name + "_loss.png", name);
  return row;
}

void run_compare(const CompareArgs& a) {
  if (a.out.empty()) fail("--out", "an output directory is required");
  if (!a.runs.empty() && !a.models.empty()) fail("--runs", "give --models or --runs, not both");
  if (a.epochs < 1) fail("--epochs", "must be at least 1");
  if (a.k < 1) fail("--k", "must be at least 1");
  if (a.fd_samples < 2) fail("--fd-samples", "must be at least 2");
  if (a.gmm_components < 1) fail("--gmm-components", "must be at least 1");
  if (a.knn_k < 1) fail("--knn-k", "must be at least 1");
  configure_threads(a.threads);

  // Runs to measure: (row name, run directory).
  std::vector<std::pair<std::string, std::string>> runs;
  if (!a.runs.empty()) {
    for (const auto& dir : a.runs) {
      if (!fs::exists(resolve_checkpoint_path(dir))) fail(dir, "is not a run directory (no checkpoints/last.pt)");
      runs.emplace_back(fs::path(dir).lexically_normal().filename().string(), dir);
    }
  } else {
    const auto kinds = split_list(a.models.empty() ? kDefaultCompareModels : a.models);
    if (kinds.empty()) fail("--models", "lists no model");
    for (const auto& kind : kinds)
      if (!kind_known(kind)) fail("--models", "unknown model kind '" + kind + "' (see `latentkit models`)");
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
  LoadedRun first = open_run(runs.front().second, a.device);
  Dataset data = first.dataset();
  std::unique_ptr<FeatureSpace> features;
  if (data.train.labelled() && data.test.labelled()) features = std::make_unique<FeatureSpace>(data, a.cache_dir);
  std::vector<ComparisonRow> rows;
  for (const auto& [name, dir] : runs) {
    const DataConfig& d = load_checkpoint(resolve_checkpoint_path(dir)).config.data;
    if (d.source != first.checkpoint.config.data.source || d.limit != first.checkpoint.config.data.limit)
      fail(dir, "was trained on '" + d.source + "', not on the data of " + runs.front().second +
                    " ('" + first.checkpoint.config.data.source + "'): compare runs on one dataset");
    rows.push_back(measure_run(name, dir, a, plots, features.get()));
  }

  ComparisonReference ref;
  ref.gmm_components = a.gmm_components;
  ref.knn_k = a.knn_k;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ref.fd_real = features ? features->frechet_train_to_test() : nan;
  ref.classifier_accuracy = features ? features->classifier_accuracy() : nan;
  ref.knn_pixels = data.train.labelled() && data.test.labelled()
                       ? knn_accuracy(data.train.x, data.train.y, data.test.x, data.test.y, a.knn_k)
                       : std::numeric_limits<double>::quiet_NaN();
  if (a.runs.empty())
    ref.budget = data.name + ", " + std::to_string(a.epochs) + " epochs per model (deep-ae: also " +
                 std::to_string(a.epochs) + " pretraining epochs per RBM), seed " + std::to_string(a.seed) +
                 ", IWAE k=" + std::to_string(a.k) + ", " + std::to_string(a.fd_samples) + " samples per Fréchet distance";
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
  cmd->add_option("--models", a->models,
                  std::string("Comma-separated model kinds to train (default: ") + kDefaultCompareModels + ")");
  cmd->add_option("--runs", a->runs, "Trained run directories to compare instead of training");
  cmd->add_option("--data", a->data, "Dataset for --models (as in train)")->capture_default_str();
  cmd->add_option("--epochs", a->epochs, "Training epochs per model (the budget)")->capture_default_str();
  cmd->add_option("--limit", a->limit, "Use at most this many training samples (0: all)")->capture_default_str();
  cmd->add_option("--out", a->out, "Output directory (runs/, plots/, compare.md, compare.csv)")->required();
  cmd->add_option("--k", a->k, "Importance samples of the VAEs' log-likelihood estimate")->capture_default_str();
  cmd->add_option("--fd-samples", a->fd_samples, "Generated images per Fréchet distance")->capture_default_str();
  cmd->add_option("--gmm-components", a->gmm_components, "Components of the mixture fitted to the codes")
      ->capture_default_str();
  cmd->add_option("--knn-k", a->knn_k, "Neighbours of the kNN accuracy")->capture_default_str();
  cmd->add_option("--cache", a->cache_dir,
                  "Directory caching the feature classifier (default: $XDG_CACHE_HOME/latentkit)");
  cmd->add_option("--seed", a->seed, "Seed of training and sampling")->capture_default_str();
  cmd->add_option("--threads", a->threads, "Compute threads (0 chooses)")->capture_default_str();
  cmd->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->callback([a] { run_compare(*a); });
}

}  // namespace latentkit::cli
