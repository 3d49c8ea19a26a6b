#pragma once
// Checkpoints: everything needed to use a model (config, weights, preprocessing) and to resume
// its training exactly (optimizer state, random generator state, position in the epoch).
//
// The file is a torch.save-compatible archive of a dict, so Python opens it with
// `torch.load(path)`:
//   {"format": "latentkit-checkpoint/1", "config": <RunConfig JSON text>,
//    "state": <TrainingProgress JSON text>, "model": {name: tensor},
//    "preprocess": {"offset": tensor, "scale": tensor},
//    "optimizers": {name: uint8 tensor (LibTorch archive bytes)},
//    "rng": {"cpu": uint8 tensor, "device": uint8 tensor (CUDA runs)},
//    "permutation": int64 tensor (the order of an interrupted epoch; empty otherwise)}
#include <torch/types.h>

#include <map>
#include <string>

#include "latentkit/data/preprocess.h"
#include "latentkit/models/model.h"
#include "latentkit/train/run_config.h"

namespace latentkit {

inline constexpr const char* kCheckpointFormat = "latentkit-checkpoint/1";

// Where training stands. Between epochs, batch == 0 and the sums are empty.
struct TrainingProgress {
  int64_t epoch = 0;                    // completed epochs
  int64_t batch = 0;                    // batches done in the epoch in progress
  std::map<std::string, double> sums;   // loss terms × batch size, summed over those batches
  int64_t seen = 0;                     // samples seen in the epoch in progress
  double seconds = 0;                   // training seconds spent in the epoch in progress
  double best_test_loss = 0;            // best test "loss" so far (valid when epoch > 0)
  // The metrics.jsonl line of the last completed epoch: a resume restores it should the log have
  // lost it (train/metrics_log.h). Empty in checkpoints written before it was kept.
  std::string metrics_line;
};

struct Checkpoint {
  RunConfig config;
  TrainingProgress progress;
  std::map<std::string, torch::Tensor> model;        // named parameters and buffers
  Preprocessor preprocess;
  std::map<std::string, std::string> optimizers;     // serialized optimizer states
  torch::Tensor rng_cpu;
  torch::Tensor rng_device;                          // undefined on CPU runs
  torch::Tensor permutation;                         // undefined between epochs
};

// Writes atomically (temporary file, then rename). Tensors are copied to the CPU.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
// Throws InputError naming the path when the file is missing, truncated or not a checkpoint.
Checkpoint load_checkpoint(const std::string& path);

// Model weights <-> name map. load_model_state throws InputError naming `source` on a missing
// tensor or a shape mismatch; it copies values bit for bit.
std::map<std::string, torch::Tensor> model_state(const Model& model);
void load_model_state(Model& model, const std::map<std::string, torch::Tensor>& state,
                      const std::string& source);

// Optimizer state <-> bytes (LibTorch's archive format).
std::string optimizer_bytes(const torch::optim::Optimizer& optimizer);
void load_optimizer_bytes(torch::optim::Optimizer& optimizer, const std::string& bytes,
                          const std::string& source);

// A checkpoint path from a run directory (its checkpoints/last.pt) or a checkpoint file.
std::string resolve_checkpoint_path(const std::string& run_or_file);

}  // namespace latentkit
