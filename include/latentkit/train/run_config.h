#pragma once
// Everything that defines a training run: data, model, optimisation and execution. Saved as the
// run's config.json, so `latentkit train --config runs/NAME/config.json` re-runs it.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>

#include "latentkit/data/data_config.h"
#include "latentkit/exec/execution.h"
#include "latentkit/models/model_config.h"
#include "latentkit/util/options.h"

namespace latentkit {

#define LATENTKIT_TRAIN_OPTIONS(X)                                                                    \
  X(int64_t, epochs, 10, "--epochs", "Training epochs", between(0, 1e6))                               \
  X(int64_t, batch_size, 128, "--batch-size", "Mini-batch size", between(1, 1e7))                      \
  X(double, lr, 1e-3, "--lr", "Adam learning rate", above(0))                                          \
  X(double, weight_decay, 0.0, "--weight-decay", "Adam (L2) weight decay", at_least(0))                \
  X(uint64_t, seed, 1, "--seed", "Random seed: initialisation, shuffling, sampling", any_value())      \
  X(int64_t, eval_batch_size, 1000, "", "Batch size of the per-epoch test evaluation", between(1, 1e7)) \
  X(int64_t, grid_size, 64, "", "Images in the samples and reconstructions grids", between(1, 1e4))

struct TrainConfig {
  LATENTKIT_TRAIN_OPTIONS(LATENTKIT_OPTION_FIELD)
  ExecutionOptions execution;  // saved in the same "train" object
  static const OptionTable& table();

  nlohmann::json to_json() const;
  // Missing fields keep their defaults; unknown ones are rejected.
  static TrainConfig from_json(const nlohmann::json& j);
  void validate() const;  // throws InputError naming the field
};

struct RunConfig {
  DataConfig data;
  ModelConfig model = default_model();
  TrainConfig train;

  nlohmann::json to_json() const;
  // Sections missing from j keep their defaults; errors name the section ("model.beta: ...").
  static RunConfig from_json(const nlohmann::json& j);
  // Reads a config.json; throws InputError naming the file when it is missing or malformed.
  static RunConfig load(const std::string& path);
  // The reference VAE's config (kind vae, its defaults).
  static ModelConfig default_model();
};

}  // namespace latentkit
