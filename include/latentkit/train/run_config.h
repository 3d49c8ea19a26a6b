#pragma once
// Everything that defines a training run: data, model and optimisation. Saved as the run's
// config.json, so `latentkit train --config runs/NAME/config.json` re-runs it.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>

#include "latentkit/data/data_config.h"
#include "latentkit/models/model_config.h"

namespace latentkit {

struct TrainConfig {
  int64_t epochs = 10;
  int64_t batch_size = 128;
  double lr = 1e-3;               // Adam learning rate
  double weight_decay = 0.0;      // Adam (L2) weight decay
  uint64_t seed = 1;              // initialisation, shuffling, sampling
  int threads = 0;                // intra-op threads (LibTorch, oneDNN); 0: all cores
  int blas_threads = 0;           // OpenBLAS threads; 0: one (see util/runtime.h)
  bool fused = true;              // fused training steps where the model has them (model.h)
  std::string precision = "fp32"; // "fp32" | "bf16": the fused steps' matrix products
  std::string device = "cpu";     // "cpu" | "cuda" | "cuda:N"
  int64_t eval_batch_size = 1000; // test evaluation batch
  int64_t grid_size = 64;         // images in the samples / reconstructions grids

  nlohmann::json to_json() const;
  static TrainConfig from_json(const nlohmann::json& j);
  void validate() const;          // throws InputError naming the field
};

struct RunConfig {
  DataConfig data;
  ModelConfig model;
  TrainConfig train;

  nlohmann::json to_json() const;
  static RunConfig from_json(const nlohmann::json& j);
  // Reads a config.json; throws InputError naming the file when it is missing or malformed.
  static RunConfig load(const std::string& path);
};

}  // namespace latentkit
