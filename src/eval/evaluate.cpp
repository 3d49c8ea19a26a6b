#include "latentkit/eval/evaluate.h"

#include <torch/torch.h>

#include <cmath>

#include "latentkit/util/batch_shard.h"
#include "latentkit/util/collective.h"

namespace latentkit {

namespace {

// Calls fn(x_batch, y_batch) over the rows of `x` (and `y` when defined) in order.
template <typename Fn>
void for_each_batch(const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size, Fn fn) {
  const int64_t n = x.size(0);
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t len = std::min(batch_size, n - start);
    fn(x.narrow(0, start, len), y.defined() ? y.narrow(0, start, len) : torch::Tensor());
  }
}

// Puts the model in evaluation mode for a scope and restores its previous mode.
class EvalMode {
 public:
  explicit EvalMode(Model& model) : model_(model), was_training_(model.is_training()) {
    model_.eval();
  }
  ~EvalMode() { model_.train(was_training_); }

 private:
  Model& model_;
  bool was_training_;
};

}  // namespace

std::map<std::string, double> mean_losses(Model& model, const Split& split, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  EvalMode eval_mode(model);
  // Across data-parallel ranks each batch is split as training splits it (util/batch_shard.h):
  // the ranks' terms are the single process's, and their weighted sums are added at the end.
  const int rank = collective().rank(), ranks = collective().world_size();
  std::map<std::string, torch::Tensor> sums;  // accumulated on the device: one sync at the end
  for_each_batch(split.x, split.y, batch_size, [&](const torch::Tensor& xb, const torch::Tensor& yb) {
    const BatchShard shard = BatchShard::of(xb.size(0), rank, ranks);
    if (shard.size == 0) return;  // a last batch with fewer rows than ranks
    ScopedBatchShard scope(shard);
    const auto x = xb.narrow(0, shard.offset, shard.size);
    const auto y = yb.defined() ? yb.narrow(0, shard.offset, shard.size) : torch::Tensor();
    for (const auto& [name, value] : model.losses(x, y)) {
      auto weighted = value.detach().to(torch::kFloat64) * x.size(0);
      auto it = sums.find(name);
      if (it == sums.end()) sums.emplace(name, weighted);
      else it->second += weighted;
    }
  });
  if (ranks > 1) {
    // Every rank had rows in the first batch (the trainer checks), so all hold the same terms.
    std::vector<torch::Tensor> values;
    for (auto& [name, sum] : sums) values.push_back(sum.reshape({1}));
    if (!values.empty()) {
      std::vector<torch::Tensor> flat{torch::cat(values)};
      collective().all_reduce_sum(flat);
      int64_t i = 0;
      for (auto& [name, sum] : sums) sum = flat[0][i++];
    }
  }
  std::map<std::string, double> means;
  for (const auto& [name, sum] : sums) means[name] = sum.item<double>() / split.size();
  return means;
}

EvalReport evaluate(Model& model, const Split& split, int64_t k, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  EvalMode eval_mode(model);
  EvalReport report;
  report.samples = split.size();
  report.losses = mean_losses(model, split, batch_size);
  const bool unit_range = split.x.min().item<double>() >= 0 && split.x.max().item<double>() <= 1;
  auto mse_sum = torch::zeros({}, split.x.options().dtype(torch::kFloat64));
  auto bce_sum = mse_sum.clone();
  for_each_batch(split.x, split.y, batch_size, [&](const torch::Tensor& x, const torch::Tensor& y) {
    auto r = model.reconstruct(x, y);  // [B, D]
    mse_sum += (r - x).pow(2).sum().to(torch::kFloat64);
    if (unit_range) {
      auto p = r.clamp(1e-7, 1 - 1e-7);
      bce_sum -= (x * p.log() + (1 - x) * (1 - p).log()).sum().to(torch::kFloat64);
    }
  });
  report.mse = mse_sum.item<double>() / report.samples;
  report.bce = unit_range ? bce_sum.item<double>() / report.samples : std::nan("");
  if (model.has_log_likelihood()) {
    report.has_log_likelihood = true;
    report.log_likelihood_is_bound = model.log_likelihood_is_bound();
    report.k = k;
    auto ll = score(model, split.x, k, batch_size, split.y).log_likelihood;
    report.log_likelihood = ll.to(torch::kFloat64).mean().item<double>();
    report.bits_per_dim = -report.log_likelihood / (split.x.size(1) * std::log(2.0));
  }
  return report;
}

Scores score(Model& model, const torch::Tensor& x, int64_t k, int64_t batch_size,
             const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  EvalMode eval_mode(model);
  std::vector<torch::Tensor> ll, err;
  for_each_batch(x, y, batch_size, [&](const torch::Tensor& xb, const torch::Tensor& yb) {
    if (model.has_log_likelihood()) ll.push_back(model.log_likelihood(xb, k, yb));
    err.push_back(model.reconstruction_error(xb, yb));
  });
  Scores s;
  if (!ll.empty()) s.log_likelihood = torch::cat(ll);
  s.reconstruction_error = torch::cat(err);
  return s;
}

}  // namespace latentkit
