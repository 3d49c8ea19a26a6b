#pragma once
// Data-parallel training splits each global batch of B rows into one contiguous shard per rank.
// For N ranks to compute exactly what one process computes on the whole batch, three things in
// the modelling code must not depend on how the batch is split, and these helpers provide them:
//
// - Per-sample random draws (the VAE's eps, a denoiser's corruption, dequantisation noise,
//   Gibbs samples). Every rank draws the global batch's worth from its generator, which all
//   ranks seed alike, and keeps its own rows: the same numbers as one process draws, and the
//   generators stay in step across ranks whatever the shard sizes.
// - Statistics that are means over the batch (the RBM's contrastive-divergence statistics):
//   reduce_batch_means turns shard means into the global batch's mean.
// - Data-dependent initialisation (ActNorm, k-means++, pseudo-inputs): gather_batch gives every
//   rank the whole global batch to initialise from.
//
// Outside a sharded step (one process, evaluation, sampling) the helpers are the plain draws
// and identities, so the single-process code path is unchanged.
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace latentkit {

// Rows [offset, offset + size) of a global batch of `global` rows.
struct BatchShard {
  int64_t offset = 0;
  int64_t size = 0;
  int64_t global = 0;
  // Rank `rank` of `ranks` takes an equal contiguous part; the first (global % ranks) take one
  // row more.
  static BatchShard of(int64_t global, int rank, int ranks);
};

// The shard the current step works on, or null outside a sharded step.
const BatchShard* active_shard();

// Marks a step as working on `shard` of its global batch for the object's lifetime.
class ScopedBatchShard {
 public:
  explicit ScopedBatchShard(const BatchShard& shard);
  ~ScopedBatchShard();
  ScopedBatchShard(const ScopedBatchShard&) = delete;
  ScopedBatchShard& operator=(const ScopedBatchShard&) = delete;

 private:
  const BatchShard* previous_;
  BatchShard shard_;
};

// Per-sample draws for a batch whose dimension `dim` has `rows` rows. In a sharded step with
// rows == the shard's size, `draw(global rows)` is narrowed to the shard's rows; otherwise it is
// draw(rows).
torch::Tensor draw_for_batch(int64_t rows, const std::function<torch::Tensor(int64_t)>& draw,
                             int64_t dim = 0);
// randn_like / rand_like / bernoulli for a tensor whose first dimension is the batch:
// [B, ...] -> [B, ...].
torch::Tensor batch_randn_like(const torch::Tensor& like);
torch::Tensor batch_rand_like(const torch::Tensor& like);
torch::Tensor batch_bernoulli(const torch::Tensor& probabilities);

// In a sharded step, every rank's [b_r, ...] shard concatenated in rank order: [B, ...] on every
// rank (one all-reduce). Otherwise `x` itself.
torch::Tensor gather_batch(const torch::Tensor& x);
// Each tensor is a mean over this rank's shard; in a sharded step it becomes, in place, the mean
// over the global batch (weights b_r / B, one all-reduce). Otherwise nothing changes.
void reduce_batch_means(std::vector<torch::Tensor> means);
// In a sharded step, each tensor (a sum over this rank's rows) becomes the sum over every rank's,
// in place. Otherwise nothing changes.
void reduce_batch_sums(std::vector<torch::Tensor> sums);

}  // namespace latentkit
