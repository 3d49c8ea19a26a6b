// The conditional VAE ("cvae"); see cvae.h.
#include "latentkit/models/cvae.h"

#include <torch/torch.h>

#include "latentkit/error.h"

namespace latentkit {

const OptionTable& LabelOptions::table() {
  using Self = LabelOptions;
  static const OptionTable table =
      OptionTable::of<Self>("labels", "Labels (conditional kinds)", {LATENTKIT_LABEL_OPTIONS(LATENTKIT_OPTION_SPEC)});
  return table;
}

namespace {
int64_t checked_classes(const ModelConfig& c) {
  const int64_t classes = c.get<LabelOptions>().num_classes;
  if (classes < 1) fail("num_classes", "cvae needs num_classes >= 1 (labelled data)");
  return classes;
}
}  // namespace

CVAE::CVAE(ModelConfig config)
    : VAE(config, checked_classes(config), checked_classes(config)) {}

torch::Tensor CVAE::conditioning(const torch::Tensor& y, int64_t rows) {
  if (!y.defined())
    throw InputError("cvae needs labels: use a labelled dataset split (files given with --input "
                     "carry none)");
  const int64_t c = num_classes();
  if (y.dim() != 1 || (y.size(0) == 0 ? rows != 0 : rows % y.size(0) != 0))
    fail("labels", "expected " + std::to_string(rows) + " labels in a 1-D tensor, got shape " +
                       c10::str(y.sizes()));
  if (y.is_floating_point() || y.is_complex()) fail("labels", "must be integers");
  if (y.numel() > 0) {
    const int64_t lo = y.min().item<int64_t>(), hi = y.max().item<int64_t>();
    if (lo < 0 || hi >= c)
      fail("labels", "label " + std::to_string(lo < 0 ? lo : hi) + " is outside [0, " +
                         std::to_string(c) + ")");
  }
  auto onehot = torch::nn::functional::one_hot(y.to(torch::kLong), c)
                    .to(encoder()->parameters().front().options());  // [B, C]
  return rows == y.size(0) ? onehot : onehot.repeat({rows / std::max<int64_t>(y.size(0), 1), 1});
}

torch::Tensor CVAE::sample(int64_t n, const torch::Tensor& y) {
  if (y.defined()) return VAE::sample(n, y);
  auto device = encoder()->parameters().front().device();
  return VAE::sample(n, torch::randint(0, num_classes(), {n},
                                       torch::TensorOptions().dtype(torch::kLong).device(device)));
}

}  // namespace latentkit
