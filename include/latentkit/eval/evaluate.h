#pragma once
// Evaluation of a trained model on a split: mean loss terms, reconstruction errors, and the
// (estimated) log-likelihood in nats and bits per dimension.
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "latentkit/data/dataset.h"
#include "latentkit/models/model.h"

namespace latentkit {

// Means over the split of the model's loss terms, computed in batches without gradients.
std::map<std::string, double> mean_losses(Model& model, const Split& split, int64_t batch_size);

struct EvalReport {
  int64_t samples = 0;
  std::map<std::string, double> losses;  // mean loss terms (e.g. recon, kl, elbo, loss)
  double mse = 0;                        // squared error per sample, summed over dimensions
  double bce = 0;                        // binary cross-entropy per sample (data in [0,1]), or NaN
  bool has_log_likelihood = false;
  bool log_likelihood_is_bound = false;
  int64_t k = 0;                         // importance samples behind log_likelihood
  double log_likelihood = 0;             // mean log p(x) in nats
  double bits_per_dim = 0;               // -log_likelihood / (D ln 2)
};

// Runs on the split's device; `k` importance samples for models that need them.
EvalReport evaluate(Model& model, const Split& split, int64_t k, int64_t batch_size);

// Per-sample scores: log p(x) estimates ([N], empty when undefined) and squared reconstruction
// errors ([N]). y: [N] labels (needed by conditional models), or undefined.
struct Scores {
  torch::Tensor log_likelihood;
  torch::Tensor reconstruction_error;
};
Scores score(Model& model, const torch::Tensor& x, int64_t k, int64_t batch_size,
             const torch::Tensor& y = {});

}  // namespace latentkit
