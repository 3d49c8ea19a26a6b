#pragma once
// The training sequence that `train` and `compare` share: load the data, give the model config
// what the data decides (dimensions, image shape, classes, the data-dependent defaults such as a
// VAE's decoder likelihood), check the kind against the data, seed, build the model, train.
#include <memory>
#include <set>
#include <string>

#include "latentkit/data/dataset.h"
#include "latentkit/models/model.h"
#include "latentkit/train/checkpoint.h"
#include "latentkit/train/run_config.h"
#include "latentkit/train/trainer.h"

namespace latentkit {

struct PreparedRun {
  RunConfig config;  // with input_dim, image_shape, num_classes and the data defaults filled in
  Dataset data;
  std::shared_ptr<Model> model;
};

// `saved` is a resumed run's preprocessor (so the data is scaled as it was), or null.
// `fixed_keys` are the model options the user set (flags, a config file's keys): the others that
// have a data-dependent default take it from the data; a resumed run passes `choose_defaults`
// false, since its config holds the choices it made. Throws InputError when the kind cannot
// model the data (binary units on unscaled data, an image-only kind on tables, a conditional
// kind without labels, dequantised 8-bit likelihoods on rescaled images).
PreparedRun prepare_run(RunConfig config, const Preprocessor* saved,
                        const std::set<std::string>& fixed_keys = {}, bool choose_defaults = true);

enum class TrainingOutcome {
  Finished,         // every epoch completed now
  AlreadyFinished,  // the resumed run had completed them all; nothing was trained
  Interrupted,      // a stop signal interrupted training; last.pt holds the position
};

struct TrainingRunOptions {
  TrainerOptions trainer;
  // Printed before training starts ("training vae (...) on fashion-mnist: ..."), unless quiet.
  bool announce = true;
};

// Trains `run` into `dir`, from `resume` (a checkpoint of that run) when given. Throws
// TrainingDiverged on a NaN or Inf loss.
TrainingOutcome train_prepared(PreparedRun run, const std::string& dir, const Checkpoint* resume,
                               const TrainingRunOptions& options = {});

// Epochs a run of `config` trains in all: the model's pretraining epochs, then train.epochs.
int64_t total_epochs(const RunConfig& config, const Model& model);

}  // namespace latentkit
