// Bucketed gradient averaging (see gradient_reducer.h).
#include "latentkit/dist/gradient_reducer.h"

#include <torch/torch.h>

namespace latentkit {

std::vector<std::vector<size_t>> gradient_buckets(const std::vector<torch::Tensor>& params, int64_t bucket_bytes) {
  std::vector<std::vector<size_t>> buckets;
  int64_t filled = 0;
  for (size_t k = params.size(); k-- > 0;) {
    const auto& p = params[k];
    const int64_t bytes = p.numel() * static_cast<int64_t>(p.element_size());
    const bool fits = !buckets.empty() && filled + bytes <= bucket_bytes &&
                      params[buckets.back().front()].scalar_type() == p.scalar_type() &&
                      params[buckets.back().front()].device() == p.device();
    if (!fits) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().push_back(k);
    filled += bytes;
  }
  return buckets;
}

GradientReducer::GradientReducer(std::shared_ptr<ProcessGroup> group, int64_t bucket_bytes)
    : group_(std::move(group)), bucket_bytes_(bucket_bytes) {}

void GradientReducer::reduce(const std::vector<torch::Tensor>& params, double weight) {
  torch::NoGradGuard no_grad;
  struct InFlight {
    std::vector<size_t> members;
    torch::Tensor flat;
    std::unique_ptr<ProcessGroup::Pending> pending;
  };
  std::vector<InFlight> flights;
  // Ranks run the same code on their shards, so the same parameters have gradients on each.
  std::vector<torch::Tensor> with_grad;
  for (const auto& p : params)
    if (p.grad().defined()) with_grad.push_back(p);
  for (auto& members : gradient_buckets(with_grad, bucket_bytes_)) {
    std::vector<torch::Tensor> pieces;
    for (size_t k : members) {
      auto& p = with_grad[k];
      pieces.push_back(p.grad().reshape({-1}));
    }
    auto flat = torch::cat(pieces).mul_(weight);
    bytes_ += flat.numel() * static_cast<int64_t>(flat.element_size());
    ++buckets_;
    auto pending = group_->all_reduce_sum_async(flat);
    flights.push_back(InFlight{std::move(members), std::move(flat), std::move(pending)});
  }
  for (auto& f : flights) {
    f.pending->wait();
    int64_t at = 0;
    for (size_t k : f.members) {
      auto g = with_grad[k].mutable_grad();
      const int64_t n = g.numel();
      g.copy_(f.flat.narrow(0, at, n).view(g.sizes()));
      at += n;
    }
  }
}

}  // namespace latentkit
