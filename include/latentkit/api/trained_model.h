#pragma once
// The entry point for programs that embed latentkit: a trained run opened with everything it
// needs (config, preprocessing, weights, device, thread settings), working on raw data as the
// user has it: uint8 or float images ([N, H, W], [N, C, H, W] or [N, H, W, C], pixel levels
// 0..255) or float rows [N, D] in the units of the training data. Preprocessing is applied and
// inverted here, so callers never see model space unless they ask for it.
//
//   auto run = latentkit::TrainedModel::open("runs/vae-fashion");
//   torch::Tensor z = run.encode(images);          // uint8 [N, 28, 28] -> [N, 20]
//   torch::Tensor x = run.decode(z);               // -> [N, 784] pixel levels
//
// Results come back on the CPU as float32 (labels and indices as int64). Methods are not
// thread-safe: use one TrainedModel per thread, or a lock.
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "latentkit/data/dataset.h"
#include "latentkit/exec/execution.h"
#include "latentkit/models/model.h"
#include "latentkit/train/checkpoint.h"

namespace latentkit {

struct ScoreOptions {
  int64_t k = 100;           // importance samples of the bound, for kinds that estimate one
  int64_t batch_size = 1000;
  uint64_t seed = 1;         // of the estimate's noise (scores are reproducible)
};

// Per-sample anomaly scores, as `latentkit score` writes them.
struct SampleScores {
  torch::Tensor log_likelihood;        // [N] nats; undefined for kinds without a likelihood
  torch::Tensor reconstruction_error;  // [N] squared error in model space, summed over dimensions
};

struct TrainedModel {
  std::string path;               // the checkpoint file opened
  Checkpoint checkpoint;          // config, preprocessing and weights as saved
  std::shared_ptr<Model> model;   // on `device`, in evaluation mode
  torch::Device device = torch::kCPU;
  ExecutionPolicy policy;         // put in place when the run was opened

  // Opens a run directory (its checkpoints/last.pt) or a checkpoint file and puts in place the
  // execution policy chosen from `execution` and the model's kind. Throws InputError naming the
  // path when it is missing, truncated or not a latentkit checkpoint.
  static TrainedModel open(const std::string& run_or_checkpoint,
                           const ExecutionOptions& execution = {});

  const Preprocessor& preprocess() const { return checkpoint.preprocess; }
  const ModelConfig& model_config() const { return checkpoint.config.model; }
  const std::string& kind() const { return model_config().kind; }
  int64_t input_dim() const { return model_config().input_dim; }   // D
  int64_t latent_dim() const { return model->latent_dim(); }       // L
  // {C, H, W}, or empty for tabular models.
  const std::vector<int64_t>& image_shape() const { return checkpoint.config.model.image_shape; }
  // Names of the training data's classes by label (empty when they have none).
  std::vector<std::string> class_names() const;

  // --- raw data <-> model space -------------------------------------------------------------
  // raw: [N, D] rows, or images [N, H, W] / [N, C, H, W] / [N, H, W, C] of an image model, any
  // numeric dtype -> x: [N, D] float32 on `device`. Throws InputError naming `where` on a shape
  // the model cannot take, or NaN/Inf values.
  torch::Tensor to_model_space(const torch::Tensor& raw, const std::string& where = "input") const;
  // x: [N, D] model space -> raw rows [N, D] float32 on the CPU (pixel levels for images).
  torch::Tensor to_raw(const torch::Tensor& x) const;
  // raw rows [N, D] of an image model -> uint8 images [N, C, H, W] (rounded, clamped to 0..255).
  torch::Tensor to_images(const torch::Tensor& raw) const;

  // --- tasks on raw data ----------------------------------------------------------------------
  // labels: [N] int64, for conditional kinds (ignored by the others).
  torch::Tensor encode(const torch::Tensor& raw, const torch::Tensor& labels = {}) const;  // -> [N, L]
  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& labels = {}) const;    // [N, L] -> raw [N, D]
  torch::Tensor reconstruct(const torch::Tensor& raw, const torch::Tensor& labels = {}) const;  // -> raw [N, D]
  SampleScores score(const torch::Tensor& raw, const ScoreOptions& options = {},
                     const torch::Tensor& labels = {}) const;
  // n draws from the model's prior -> raw [n, D]; labels [n] choose the classes of conditional
  // kinds. `temperature` scales the prior's spread (flows: z ~ N(0, T^2 I)); kinds without one
  // accept only 1. Throws InputError for kinds without a prior (plain autoencoders).
  torch::Tensor sample(int64_t n, uint64_t seed = 1, const torch::Tensor& labels = {},
                       double temperature = 1.0) const;

  // --- the run's own data ---------------------------------------------------------------------
  // The run's dataset, preprocessed with the saved preprocessor, on `device`.
  Dataset dataset() const;
  // Rows to work on: the file `input` (IDX, CSV, .npy; for image models also a PNG/JPEG file or
  // a folder of them, fitted to the model's image shape) if given, else the `split` ("test" or
  // "train") of the run's dataset. Returns x: [N, D] model space on `device`; labels through
  // `y` when known.
  torch::Tensor inputs(const std::string& input, const std::string& split, torch::Tensor* y) const;
};

}  // namespace latentkit
