// ActNorm with data-dependent initialisation (see actnorm.h).
#include "latentkit/flows/actnorm.h"
#include "latentkit/util/batch_shard.h"

#include <torch/torch.h>

namespace latentkit {

ActNorm::ActNorm(int64_t channels, bool image) {
  std::vector<int64_t> shape = image ? std::vector<int64_t>{1, channels, 1, 1}
                                     : std::vector<int64_t>{1, channels};
  loc = register_parameter("loc", torch::zeros(shape));
  log_scale = register_parameter("log_scale", torch::zeros(shape));
  initialized_ = register_buffer("initialized", torch::zeros({}));
}

bool ActNorm::initialized() const { return initialized_.item<double>() > 0; }

// x: [B, C, ...]: statistics over every dimension but the channels.
// In data-parallel training the statistics are those of the whole global batch, as one process
// would compute them.
void ActNorm::initialize(const torch::Tensor& local) {
  torch::NoGradGuard no_grad;
  const torch::Tensor x = gather_batch(local);
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  auto mean = x.mean(dims, /*keepdim=*/true);
  auto sd = x.std(dims, /*unbiased=*/false, /*keepdim=*/true);
  loc.copy_(-mean);
  log_scale.copy_(-torch::log(sd + 1e-6));
  initialized_.fill_(1);
}

// x: [B, C, ...] -> y, logdet: [B]
FlowOutput ActNorm::forward(const torch::Tensor& x) {
  if (is_training() && !initialized()) initialize(x);
  const int64_t positions = x.numel() / (x.size(0) * x.size(1));  // H*W, or 1 for vectors
  auto y = (x + loc) * torch::exp(log_scale);
  auto logdet = (log_scale.sum() * positions).expand({x.size(0)});
  return {y, logdet};
}

torch::Tensor ActNorm::inverse(const torch::Tensor& y) { return y * torch::exp(-log_scale) - loc; }

}  // namespace latentkit
