#pragma once
// A dataset kept whole in memory: float tensors N×D split into train and test.
#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "latentkit/data/preprocess.h"

namespace latentkit {

// Channels × height × width of an image set; rows of x are images flattened in that order.
struct ImageShape {
  int64_t channels = 1;
  int64_t height = 0;
  int64_t width = 0;
  int64_t numel() const { return channels * height * width; }
};

struct Split {
  torch::Tensor x;  // [N, D] float32, already preprocessed (model space)
  torch::Tensor y;  // [N] int64 labels, or undefined when the data has none
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
  bool labelled() const { return y.defined(); }
};

struct Dataset {
  std::string name;                  // e.g. "fashion-mnist", "csv:/path/file.csv"
  Split train;
  Split test;
  std::optional<ImageShape> image;   // set for image data
  Preprocessor preprocess;           // maps raw values to x; fitted on train, saved with models
  int64_t dim() const { return train.x.size(1); }
  int64_t num_classes() const;       // max label + 1 over both splits, 0 when unlabelled
};

}  // namespace latentkit
