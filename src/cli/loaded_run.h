#pragma once
// A trained model opened from a run directory or checkpoint file, for the commands that use one
// (eval, sample, reconstruct, encode, decode, score, info).
#include <memory>
#include <string>

#include "latentkit/data/dataset.h"
#include "latentkit/models/model.h"
#include "latentkit/train/checkpoint.h"

namespace latentkit::cli {

struct LoadedRun {
  std::string path;               // the checkpoint file
  Checkpoint checkpoint;
  std::shared_ptr<Model> model;   // on `device`, in evaluation mode
  torch::Device device = torch::kCPU;

  const Preprocessor& preprocess() const { return checkpoint.preprocess; }
  // The run's dataset, preprocessed with the saved preprocessor, on `device`.
  Dataset dataset() const;
  // Rows to work on: the file `input` (IDX, CSV or .npy) if given, else the `split` ("test" or
  // "train") of the run's dataset. Returns x: [N, D] on `device`; labels through `y` when known.
  torch::Tensor inputs(const std::string& input, const std::string& split, torch::Tensor* y) const;
  // Image shape {C, H, W}, or empty for tabular models.
  const std::vector<int64_t>& image_shape() const { return checkpoint.config.model.image_shape; }
};

LoadedRun open_run(const std::string& run_or_file, const std::string& device);

// Writes rows of model-space values to `path` by its extension: .png (an image grid; needs an
// image model), .csv (raw values, columns x0..), or .npy. Writes are atomic.
void write_rows(const std::string& path, const torch::Tensor& x, const LoadedRun& run,
                int64_t columns = 8);

}  // namespace latentkit::cli
