#pragma once
// k-nearest-neighbour classification accuracy of codes: how well a representation separates the
// labels, without training anything. Brute force in float32/float64 as given, Euclidean
// distance ||a||^2 + ||b||^2 - 2 a.b over chunks of test rows, top-k per row.
#include <torch/types.h>

#include <cstdint>

namespace latentkit {

// train_codes: [N, L], train_labels: [N] int64, test_codes: [M, L], test_labels: [M] int64
// -> the fraction of test rows whose majority label among the k nearest training rows equals
// their own. Ties in the vote go to the tied label with the nearest single neighbour (the
// label of the closest training row among those tied). Ties in distance are broken by topk
// (unspecified but deterministic). chunk: test rows per distance block.
double knn_accuracy(const torch::Tensor& train_codes, const torch::Tensor& train_labels,
                    const torch::Tensor& test_codes, const torch::Tensor& test_labels,
                    int64_t k = 5, int64_t chunk = 256);

}  // namespace latentkit
