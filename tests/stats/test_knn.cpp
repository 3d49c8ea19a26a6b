// kNN accuracy against a brute-force double loop (sorted distances, counted votes, the tie rule
// spelled out), on a hand-made case with a tied vote and on random codes in small chunks.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "latentkit/error.h"
#include "latentkit/stats/knn.h"

namespace knn_test {

using namespace latentkit;

// For every test row: sort training rows by distance, vote among the first k, and among the
// labels with the most votes take the one whose first voter is nearest.
double brute_force_accuracy(const torch::Tensor& train, const torch::Tensor& train_y,
                            const torch::Tensor& test, const torch::Tensor& test_y, int64_t k) {
  int64_t correct = 0;
  for (int64_t i = 0; i < test.size(0); ++i) {
    std::vector<std::pair<double, int64_t>> d;
    for (int64_t j = 0; j < train.size(0); ++j) {
      double s = 0;
      for (int64_t c = 0; c < train.size(1); ++c) {
        const double diff = test[i][c].item<double>() - train[j][c].item<double>();
        s += diff * diff;
      }
      d.emplace_back(s, j);
    }
    std::sort(d.begin(), d.end());
    std::map<int64_t, int64_t> votes;
    for (int64_t r = 0; r < k; ++r) ++votes[train_y[d[r].second].item<int64_t>()];
    int64_t best = 0;
    for (const auto& [label, v] : votes) best = std::max(best, v);
    int64_t predicted = -1;
    for (int64_t r = 0; r < k && predicted < 0; ++r) {
      const int64_t label = train_y[d[r].second].item<int64_t>();
      if (votes[label] == best) predicted = label;
    }
    correct += predicted == test_y[i].item<int64_t>();
  }
  return static_cast<double>(correct) / test.size(0);
}

TEST(KnnAccuracy, TiedVoteGoesToTheNearestNeighboursLabel) {
  // 1-D codes 1, 2, 3, 4 labelled 0, 1, 1, 0; k = 4 gives every test point a 2-2 vote.
  auto train = torch::tensor({1.0, 2.0, 3.0, 4.0}).view({4, 1});
  auto train_y = torch::tensor({0, 1, 1, 0}, torch::kLong);
  auto test = torch::tensor({0.0, 2.4, 5.0}).view({3, 1});
  // Nearest first: 0.0 -> label 0; 2.4 -> code 2, label 1; 5.0 -> code 4, label 0.
  auto right = torch::tensor({0, 1, 0}, torch::kLong);
  auto wrong = torch::tensor({1, 0, 1}, torch::kLong);
  EXPECT_DOUBLE_EQ(knn_accuracy(train, train_y, test, right, 4), 1.0);
  EXPECT_DOUBLE_EQ(knn_accuracy(train, train_y, test, wrong, 4), 0.0);
  EXPECT_DOUBLE_EQ(brute_force_accuracy(train, train_y, test, right, 4), 1.0);
  // k = 3: a clear majority; 0.0 sees 1, 2, 3 -> label 1.
  EXPECT_DOUBLE_EQ(knn_accuracy(train, train_y, test, right, 3),
                   brute_force_accuracy(train, train_y, test, right, 3));
}

TEST(KnnAccuracy, EqualsBruteForceOnRandomCodesInChunks) {
  torch::manual_seed(12);
  auto train = torch::randn({200, 3}, torch::kFloat64);
  auto train_y = torch::randint(0, 3, {200}, torch::kLong);
  auto test = torch::randn({53, 3}, torch::kFloat64);
  auto test_y = torch::randint(0, 3, {53}, torch::kLong);
  for (int64_t k : {1, 2, 5, 8}) {
    const double expected = brute_force_accuracy(train, train_y, test, test_y, k);
    EXPECT_DOUBLE_EQ(knn_accuracy(train, train_y, test, test_y, k, /*chunk=*/7), expected) << k;
    EXPECT_DOUBLE_EQ(knn_accuracy(train.to(torch::kFloat32), train_y, test.to(torch::kFloat32), test_y, k),
                     expected) << k;
  }
}

TEST(KnnAccuracy, RejectsBadK) {
  auto x = torch::randn({4, 2});
  auto y = torch::zeros({4}, torch::kLong);
  EXPECT_THROW(knn_accuracy(x, y, x, y, 0), InputError);
  EXPECT_THROW(knn_accuracy(x, y, x, y, 5), InputError);
}

}  // namespace knn_test
