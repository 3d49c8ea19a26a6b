// The feature classifier: it learns separable data, its cache returns the same network, a
// corrupt cache file is retrained rather than fatal, the key follows the training tensors, and
// the sample Fréchet distance is ~0 for a set against itself.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "latentkit/models/network.h"
#include "latentkit/error.h"
#include "latentkit/eval/feature_classifier.h"
#include "latentkit/stats/frechet.h"

namespace feature_classifier_test {

using namespace latentkit;
namespace fs = std::filesystem;

// Three classes of 20-D Gaussian blobs.
Dataset blob_dataset(uint64_t seed) {
  torch::manual_seed(seed);
  auto centres = torch::randn({3, 20}) * 2;
  auto split = [&](int64_t n) {
    auto y = torch::randint(0, 3, {n}, torch::kLong);
    return Split{centres.index_select(0, y) + torch::randn({n, 20}), y};
  };
  Dataset d;
  d.name = "blobs";
  d.train = split(600);
  d.test = split(200);
  d.preprocess.scaling = Scaling::None;
  d.preprocess.offset = torch::zeros({20});
  d.preprocess.scale = torch::ones({20});
  return d;
}

FeatureClassifierConfig small_config() {
  FeatureClassifierConfig c;
  c.hidden = 32;
  c.features = 16;
  c.epochs = 20;  // 5 batches an epoch
  return c;
}

std::string cache_dir() {
  auto dir = fs::temp_directory_path() / ("latentkit_classifier_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir.string();
}

TEST(FeatureClassifier, TrainsCachesAndRetrainsACorruptCache) {
  const Dataset data = blob_dataset(30);
  const std::string dir = cache_dir();
  auto first = load_or_train(data, dir, small_config());
  EXPECT_FALSE(first->from_cache);
  EXPECT_GT(first->test_accuracy, 0.9);
  const std::string path = feature_classifier_cache_path(data, dir, small_config());
  ASSERT_TRUE(fs::exists(path));

  auto second = load_or_train(data, dir, small_config());
  EXPECT_TRUE(second->from_cache);
  EXPECT_DOUBLE_EQ(second->test_accuracy, first->test_accuracy);
  EXPECT_TRUE(torch::equal(second->features_batched(data.test.x), first->features_batched(data.test.x)));

  {
    std::ofstream out(path, std::ios::trunc);
    out << "not a classifier";
  }
  auto third = load_or_train(data, dir, small_config());
  EXPECT_FALSE(third->from_cache);
  EXPECT_TRUE(load_or_train(data, dir, small_config())->from_cache);  // rewritten
  fs::remove_all(dir);
}

TEST(FeatureClassifier, CacheKeyFollowsTheTrainingTensors) {
  Dataset a = blob_dataset(31);
  Dataset b = a;
  b.train.x = a.train.x.clone();
  b.train.x[0][0] += 1.0f;
  EXPECT_EQ(feature_classifier_cache_path(a, "/c", small_config()),
            feature_classifier_cache_path(blob_dataset(31), "/c", small_config()));
  EXPECT_NE(feature_classifier_cache_path(a, "/c", small_config()),
            feature_classifier_cache_path(b, "/c", small_config()));
  FeatureClassifierConfig other = small_config();
  other.epochs = 4;
  EXPECT_NE(feature_classifier_cache_path(a, "/c", small_config()),
            feature_classifier_cache_path(a, "/c", other));
}

TEST(FeatureClassifier, SampleFrechetDistanceUsesTheFeatures) {
  const Dataset data = blob_dataset(32);
  auto net = train_feature_classifier(data, small_config());
  EXPECT_NEAR(sample_frechet_distance(*net, data.test.x, data.test.x), 0.0, 1e-3);
  const double expected = frechet_distance(net->features_batched(data.train.x), net->features_batched(data.test.x));
  EXPECT_NEAR(sample_frechet_distance(*net, data.train.x, data.test.x), expected, 1e-9);
  EXPECT_GT(sample_frechet_distance(*net, data.test.x + 3.0, data.test.x), expected);
}

TEST(FeatureClassifier, RefusesUnlabelledData) {
  Dataset d = blob_dataset(33);
  d.train.y = torch::Tensor();
  EXPECT_THROW(load_or_train(d, cache_dir(), small_config()), InputError);
}

}  // namespace feature_classifier_test
