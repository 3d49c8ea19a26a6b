#include "latentkit/eval/batched.h"

#include <torch/torch.h>

#include <vector>

namespace latentkit {
namespace {

template <typename Step>
torch::Tensor map_batches(const torch::Tensor& rows, const torch::Tensor& y, int64_t batch_size,
                          Step step) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  const int64_t n = rows.size(0);
  const int64_t b = batch_size > 0 ? batch_size : n;
  for (int64_t s = 0; s < n; s += b) {
    const int64_t len = std::min(b, n - s);
    parts.push_back(step(rows.narrow(0, s, len), y.defined() ? y.narrow(0, s, len) : torch::Tensor()));
  }
  if (parts.empty()) return step(rows, y);
  return torch::cat(parts);
}

}  // namespace

torch::Tensor encode_batched(Model& model, const torch::Tensor& x, const torch::Tensor& y,
                             int64_t batch_size) {
  return map_batches(x, y, batch_size,
                     [&](const torch::Tensor& xb, const torch::Tensor& yb) { return model.encode(xb, yb); });
}

torch::Tensor decode_batched(Model& model, const torch::Tensor& z, const torch::Tensor& y,
                             int64_t batch_size) {
  return map_batches(z, y, batch_size,
                     [&](const torch::Tensor& zb, const torch::Tensor& yb) { return model.decode(zb, yb); });
}

}  // namespace latentkit
