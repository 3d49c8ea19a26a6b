#pragma once
// A small classifier trained by latentkit on a labelled dataset, whose penultimate layer gives
// the feature space of the sample-quality Fréchet distance (the construction of FID, with this
// network in place of Inception: no Inception weights are available offline, and Fashion-MNIST
// is 28x28 grey). Its distances compare latentkit models on one dataset only.
//
// The network is an MLP D-512-128-C with ReLU (features: the 128 activations after the second
// ReLU), trained with Adam (lr 1e-3, batch 128) for a few epochs on the model-space training
// split, seeded, leaving the global generator untouched. Trained networks are cached on disk,
// keyed by the dataset's name, a hash of its training tensors and the training settings.
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "latentkit/data/dataset.h"

namespace latentkit {

struct FeatureClassifierConfig {
  int64_t hidden = 512;    // first hidden width
  int64_t features = 128;  // penultimate width: the feature dimension
  int64_t epochs = 5;
  int64_t batch_size = 128;
  double lr = 1e-3;
  uint64_t seed = 0;
};

class FeatureClassifier : public torch::nn::Module {
 public:
  FeatureClassifier(int64_t input_dim, int64_t classes, const FeatureClassifierConfig& config);

  // x: [B, D] model space -> [B, F] penultimate activations
  torch::Tensor features(const torch::Tensor& x);
  // x: [B, D] -> [B, C]
  torch::Tensor logits(const torch::Tensor& x);
  // x: [N, D] -> [N, F], in batches without autograd
  torch::Tensor features_batched(const torch::Tensor& x, int64_t batch_size = 1000);
  // The fraction of rows whose arg-max logit equals y: x: [N, D], y: [N]
  double accuracy(const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size = 1000);

  double test_accuracy = 0;   // on the dataset's test split, measured after training
  double train_seconds = 0;   // 0 when loaded from the cache
  bool from_cache = false;

 private:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr}, out_{nullptr};
};

// Trains the classifier on data.train (labels required) and measures it on data.test.
std::shared_ptr<FeatureClassifier> train_feature_classifier(const Dataset& data,
                                                            const FeatureClassifierConfig& config = {});

// $XDG_CACHE_HOME/latentkit, else $HOME/.cache/latentkit, else ./.latentkit-cache.
std::string default_cache_dir();

// The cache file of `data`'s classifier in cache_dir (name, hash of the training tensors and of
// the config).
std::string feature_classifier_cache_path(const Dataset& data, const std::string& cache_dir,
                                          const FeatureClassifierConfig& config = {});

// Loads the cached classifier of `data` or trains one and writes it (atomically) to the cache.
// A cache file that cannot be read is replaced after a one-line notice on stderr. Throws
// InputError for unlabelled data.
std::shared_ptr<FeatureClassifier> load_or_train(const Dataset& data, const std::string& cache_dir,
                                                 const FeatureClassifierConfig& config = {});

// The Fréchet distance between the classifier features of generated: [N, D] and real: [M, D]
// (both in the dataset's model space).
double sample_frechet_distance(FeatureClassifier& classifier, const torch::Tensor& generated,
                               const torch::Tensor& real);

}  // namespace latentkit
