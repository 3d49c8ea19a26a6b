// k-nearest-neighbour accuracy; see knn.h.
#include "latentkit/stats/knn.h"

#include <torch/torch.h>

#include "latentkit/error.h"

namespace latentkit {

double knn_accuracy(const torch::Tensor& train_codes, const torch::Tensor& train_labels,
                    const torch::Tensor& test_codes, const torch::Tensor& test_labels, int64_t k,
                    int64_t chunk) {
  TORCH_CHECK(train_codes.dim() == 2 && test_codes.dim() == 2 &&
                  train_codes.size(1) == test_codes.size(1),
              "knn_accuracy: codes must be [N, L] and [M, L]");
  TORCH_CHECK(train_labels.size(0) == train_codes.size(0) && test_labels.size(0) == test_codes.size(0),
              "knn_accuracy: one label per code");
  if (k < 1 || k > train_codes.size(0))
    fail("k", "must be in [1, " + std::to_string(train_codes.size(0)) + "] (got " + std::to_string(k) + ")");
  if (test_codes.size(0) == 0) return 0.0;
  torch::NoGradGuard no_grad;
  auto labels = train_labels.to(torch::kLong);
  const int64_t classes = std::max(labels.max().item<int64_t>(), test_labels.max().item<int64_t>()) + 1;
  auto train_sq = train_codes.pow(2).sum(1).unsqueeze(0);  // [1, N]
  int64_t correct = 0;
  for (int64_t s = 0; s < test_codes.size(0); s += chunk) {
    auto q = test_codes.narrow(0, s, std::min(chunk, test_codes.size(0) - s));  // [m, L]
    // ||q||^2 is the same for every training row of a test row: it does not change the order.
    auto d = torch::addmm(train_sq, q, train_codes.t(), 1, -2);                   // [m, N]
    auto nearest = std::get<1>(d.topk(k, 1, /*largest=*/false, /*sorted=*/true));  // [m, k]
    auto votes_for = labels.index_select(0, nearest.flatten()).view({-1, k});       // [m, k]
    auto votes = torch::zeros({q.size(0), classes}, torch::TensorOptions().dtype(torch::kLong).device(q.device()));
    votes.scatter_add_(1, votes_for, torch::ones_like(votes_for));                // [m, C]
    // Tie rule: among the labels with the most votes, the one met first in distance order.
    auto top = votes.max(1, true);
    auto tied = votes.gather(1, votes_for) == std::get<0>(top);                   // [m, k]
    auto first = tied.to(torch::kLong).argmax(1, true);                            // first tied neighbour
    auto predicted = votes_for.gather(1, first).squeeze(1);                        // [m]
    auto truth = test_labels.narrow(0, s, q.size(0)).to(torch::kLong);
    correct += (predicted == truth).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(test_codes.size(0));
}

}  // namespace latentkit
