#pragma once
// What `train` settles before the Trainer starts, shared with `compare`: the data is loaded, the
// model config gets its data-dependent fields, the kind is checked against the data, and the
// model is built from the seeded generator.
#include <memory>

#include "latentkit/data/dataset.h"
#include "latentkit/models/model.h"
#include "latentkit/train/run_config.h"

namespace latentkit::cli {

struct PreparedRun {
  RunConfig config;  // with input_dim, image_shape, num_classes and the likelihood filled in
  Dataset data;
  std::shared_ptr<Model> model;
};

// `saved` is a resumed run's preprocessor (so the data is scaled as it was), or null. Throws
// InputError when the kind cannot model the data (an RBM on unscaled data, an image flow on
// non-image data, a conditional model without labels).
PreparedRun prepare_run(RunConfig config, const Preprocessor* saved);

// The parameter count printed by train and compare.
int64_t count_parameters(Model& model);

}  // namespace latentkit::cli
