#pragma once
// One model measured for `latentkit compare`: size, test reconstruction error, test NLL on the
// scale its kind defines, Fréchet distances of its samples (prior, or codes' Gaussian, and a
// mixture fitted to its codes) in a classifier's feature space, and the kNN accuracy of its codes.
// What each kind can be asked comes from the catalog's traits.
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "latentkit/data/dataset.h"
#include "latentkit/eval/comparison_table.h"
#include "latentkit/eval/feature_classifier.h"
#include "latentkit/models/model.h"

namespace latentkit {

struct MeasureOptions {
  int64_t k = 1000;              // importance samples of the VAEs' log-likelihood estimate
  int64_t fd_samples = 10000;    // generated images per Fréchet distance
  int64_t gmm_components = 10;   // K of the mixture fitted to the codes
  int64_t knn_k = 5;             // neighbours of the kNN accuracy
  uint64_t seed = 1;             // of the estimate and of every sampler
};

// The feature space of the comparison's Fréchet distances: a classifier of the dataset (cached
// in `cache_dir`, "" for the default) and the features of its test images, computed once.
class FeatureSpace {
 public:
  FeatureSpace(const Dataset& data, const std::string& cache_dir);
  // generated: [N, D] model-space images -> Fréchet distance of their features to the test set's.
  double frechet_to_test(const torch::Tensor& generated);
  // As many training images as there are test images, against the test set: the floor.
  double frechet_train_to_test();
  double classifier_accuracy() const;

 private:
  std::shared_ptr<FeatureClassifier> classifier_;
  torch::Tensor test_features_;  // [N_test, F]
  torch::Tensor train_x_;        // [N_train, D]
};

struct Measurement {
  ComparisonRow row;         // name, epochs and train_seconds are left for the caller
  torch::Tensor samples;     // [<= 64, D] on the CPU: the first samples behind fd_prior (or undefined)
  torch::Tensor test_codes;  // [N_test, L] on the CPU, for a latent map (undefined: codes are not points)
};

// Measures `model` (in evaluation mode, on the device of `data`) on `data` (preprocessed as the
// model was trained). `features` may be null (no labels): the Fréchet columns are then NaN.
Measurement measure_model(Model& model, const Dataset& data, const MeasureOptions& options,
                          FeatureSpace* features);

// The comparison's reference figures for `data`: the Fréchet floor, the classifier's accuracy and
// the kNN accuracy of the raw inputs (NaN where the data has no labels).
ComparisonReference measure_reference(const Dataset& data, const MeasureOptions& options,
                                      FeatureSpace* features);

}  // namespace latentkit
