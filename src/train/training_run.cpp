#include "latentkit/train/training_run.h"

#include <torch/torch.h>

#include <iostream>

#include "latentkit/catalog/catalog.h"
#include "latentkit/data/data_config.h"
#include "latentkit/error.h"
#include "latentkit/models/cvae.h"
#include "latentkit/util/rng.h"

namespace latentkit {

namespace {

void check_kind_against_data(const KindInfo& info, const Dataset& data, const DataConfig& source) {
  const Preprocessor& p = data.preprocess;
  if (info.needs_unit_data && p.scaling != Scaling::Unit)
    fail("--scaling", "model kind '" + info.name + "' has binary visible units: it needs data "
                      "scaled to [0, 1] (--scaling unit), not '" + to_string(p.scaling) + "'");
  if (info.images_only && !data.image)
    fail("--model", "kind '" + info.name + "' needs image data; " + source.source + " is a table");
  // Dequantised likelihoods are probabilities of 8-bit levels: they need x = level / 255.
  if (info.likelihood == Likelihood::Dequantised && data.image &&
      (p.scaling != Scaling::Unit || p.binarize))
    fail("--model", "kind '" + info.name + "' models dequantised 8-bit levels of image data: it "
                    "needs --scaling unit (or auto) and no --binarize");
  if (info.conditional && !data.train.labelled())
    fail(source.source, "has no labels; model kind '" + info.name + "' needs them");
}

}  // namespace

PreparedRun prepare_run(RunConfig cfg, const Preprocessor* saved, const std::set<std::string>& fixed_keys,
                        bool choose_defaults) {
  const KindInfo& info = kind_info(cfg.model.kind, "--model");
  Dataset data = load_dataset(cfg.data, saved);
  ModelConfig& m = cfg.model;
  m.input_dim = data.dim();
  m.image_shape.clear();
  if (data.image) m.image_shape = {data.image->channels, data.image->height, data.image->width};
  check_kind_against_data(info, data, cfg.data);
  if (choose_defaults) {
    const bool unit = data.preprocess.scaling == Scaling::Unit || data.preprocess.binarize;
    for (const auto& group : m.options.all()) group->table().choose_for_data(group->data(), unit, fixed_keys);
  }
  if (auto* labels = m.options.find<LabelOptions>()) labels->num_classes = data.num_classes();
  seed_everything(cfg.train.seed);
  auto model = make_model(m);
  return PreparedRun{std::move(cfg), std::move(data), std::move(model)};
}

int64_t total_epochs(const RunConfig& config, const Model& model) {
  return model.pretraining_epochs() + config.train.epochs;
}

TrainingOutcome train_prepared(PreparedRun run, const std::string& dir, const Checkpoint* resume,
                               const TrainingRunOptions& options) {
  const int64_t total = total_epochs(run.config, *run.model);
  if (resume && resume->progress.epoch >= total && resume->progress.batch == 0)
    return TrainingOutcome::AlreadyFinished;
  const std::string kind = run.config.model.kind;
  const int64_t parameters = run.model->parameter_count();
  const std::string name = run.data.name;
  const int64_t train_n = run.data.train.size(), test_n = run.data.test.size(), dim = run.data.dim();
  Trainer trainer(run.config, std::move(run.data), run.model, dir, options.trainer);
  if (options.announce && !options.trainer.quiet) {
    std::cout << (resume ? "resuming " : "training ") << kind << " (" << parameters << " parameters) on "
              << name << ": " << train_n << " train, " << test_n << " test, " << dim
              << " dimensions; " << total << " epochs; device " << trainer.policy().device << " ("
              << trainer.policy().describe() << "); run "
              << dir << "\n";
  }
  return trainer.run(resume) ? TrainingOutcome::Finished : TrainingOutcome::Interrupted;
}

}  // namespace latentkit
