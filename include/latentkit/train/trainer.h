#pragma once
// One Trainer for every model: shuffled mini-batches, the model's own train_step (one or several
// optimizers), test evaluation each epoch, metrics.jsonl, checkpoints (last and best), picture
// grids, progress, and exact resumption after an interruption.
//
// A run directory holds:
//   config.json                 the RunConfig (re-runnable with `train --config`)
//   metrics.jsonl               one JSON object per epoch
//   metrics.csv                 the same flattened into a table (train/metrics_csv.h)
//   checkpoints/last.pt, best.pt
//   samples.png, reconstructions.png (image data); density.png (2-D data, models with an exact
//                               likelihood: the data's histogram beside the model's density)
//   .lock                       the writer's lock, taken by `latentkit train` (train/run_lock.h)
//
// An epoch ends with its metrics line on the disk, then best.pt, then last.pt (the commit), so a
// kill at any instant leaves the log at or one line past last.pt; a resume repairs it
// (train/metrics_log.h).
//
// A loss that becomes NaN or Inf stops training with TrainingDiverged; checkpoints are written only
// after checking, so last.pt and best.pt keep the last good weights.
#include <memory>
#include <stdexcept>
#include <string>

#include "latentkit/data/dataset.h"
#include "latentkit/dist/gradient_reducer.h"
#include "latentkit/dist/process_group.h"
#include "latentkit/exec/execution.h"
#include "latentkit/models/fused_step.h"
#include "latentkit/models/model.h"
#include "latentkit/train/checkpoint.h"
#include "latentkit/train/run_config.h"

namespace latentkit {

// Training stopped because the loss became NaN or Inf; what() is one line naming the epoch and the
// checkpoint left in place.
class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TrainerOptions {
  bool quiet = false;     // no per-epoch lines on stdout
  bool progress = true;   // live progress bar when stderr is a terminal
  // Data-parallel training with the ranks of this group (null: one process). Every rank runs a
  // Trainer on the same config, data and checkpoint; each takes its shard of every global batch
  // (--batch-size stays the global batch), gradients and per-batch statistics are averaged over
  // the ranks, test evaluation is sharded, and rank 0 alone writes the run directory.
  std::shared_ptr<ProcessGroup> group;
};

class Trainer {
 public:
  // `model` must match config.model; it and the dataset are moved to the device of the
  // execution policy chosen from config.train.execution and the model's kind.
  Trainer(RunConfig config, Dataset dataset, std::shared_ptr<Model> model, std::string run_dir,
          TrainerOptions options = {});

  // Applies the execution policy, then trains up to total_epochs(), from scratch or from
  // `resume` (a checkpoint of this run). Returns false when a stop signal interrupted training
  // (a checkpoint was saved), true when every epoch completed. Throws TrainingDiverged on a NaN
  // or Inf loss.
  bool run(const Checkpoint* resume = nullptr);

  Model& model() { return *model_; }
  const ExecutionPolicy& policy() const { return policy_; }
  // The model's pretraining epochs (if any) followed by config.train.epochs.
  int64_t total_epochs() const;

 private:
  void build_optimizers();
  void restore(const Checkpoint& ck);
  Checkpoint snapshot(const torch::Tensor& permutation) const;
  // Trains the epoch in progress from progress_.batch on; false when interrupted.
  bool train_epoch(const torch::Tensor& permutation);
  void finish_epoch();
  void write_pictures();
  void save(const std::string& name, const torch::Tensor& permutation);
  // Throws TrainingDiverged when `nonfinite` (a 0-dim bool, true once a loss was NaN or Inf) is set.
  void check_finite(const torch::Tensor& nonfinite, int64_t batch) const;
  // One step on a batch: the fused step where the policy chose one, else the model's own.
  LossTerms step(const torch::Tensor& x, const torch::Tensor& y);
  // Rank 0 of a group, or a process on its own: the one that writes the run directory.
  bool writes() const { return rank_ == 0; }
  // Throws InputError when this data and model cannot be split over the group's ranks.
  void check_shardable() const;
  // Parameters and buffers become rank 0's on every rank.
  void broadcast_state();
  // The ranks agree on stopping and on a NaN loss: both are true on every rank when true on one.
  bool agree_to_stop(torch::Tensor& nonfinite);

  RunConfig config_;
  Dataset data_;
  std::shared_ptr<Model> model_;
  std::string dir_;
  TrainerOptions options_;
  ExecutionPolicy policy_;
  torch::Device device_;
  std::unique_ptr<FusedStep> fused_step_;
  Optimizers optimizers_;
  TrainingProgress progress_;
  int rank_ = 0;
  int ranks_ = 1;
  std::unique_ptr<GradientReducer> reducer_;
  // Steps and gradient bytes all-reduced since the epoch's metrics line was written.
  int64_t epoch_steps_ = 0;
  int64_t epoch_bytes_start_ = 0;
};

}  // namespace latentkit
