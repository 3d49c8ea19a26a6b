// Default behaviour shared by every Model; kinds override what differs.
#include "latentkit/models/model.h"

#include <torch/torch.h>

#include <stdexcept>

#include "latentkit/error.h"

namespace latentkit {

// -> [n, D]. Plain autoencoders have no prior; kinds that do override this.
torch::Tensor Model::sample(int64_t n, const torch::Tensor& y) {
  fail("model '" + config_.kind + "'", "has no prior to sample from");
}

// x: [B, D] -> [B, D], decoding the (mean) code.
torch::Tensor Model::reconstruct(const torch::Tensor& x, const torch::Tensor& y) {
  return decode(encode(x, y), y);
}

// x: [B, D] -> [B]
torch::Tensor Model::reconstruction_error(const torch::Tensor& x, const torch::Tensor& y) {
  return (reconstruct(x, y) - x).pow(2).sum(1);
}

// x: [B, D] -> [B]
torch::Tensor Model::log_likelihood(const torch::Tensor& x, int64_t k, const torch::Tensor& y) {
  fail("model '" + config_.kind + "'", "has no log-likelihood to evaluate");
}

torch::Tensor Model::sample_at_temperature(int64_t n, double temperature, const torch::Tensor& y) {
  if (temperature == 1.0) return sample(n, y);
  fail("model '" + config_.kind + "'", "has no sampling temperature (flows have)");
}

int64_t Model::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

std::vector<ParamGroup> Model::param_groups() {
  return {ParamGroup{"model", parameters(), 1.0}};
}

// x: [B, D], y: [B] or undefined. Every optimizer steps on the gradient of the one total loss;
// models with competing objectives (adversarial) override this.
LossTerms Model::train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) {
  for (auto& [name, o] : opt) o->zero_grad();
  LossTerms terms = losses(x, y);
  auto loss = terms.find("loss");
  if (loss == terms.end())
    throw std::logic_error("model '" + config_.kind + "': losses() returned no \"loss\" term");
  loss->second.backward();
  for (auto& [name, o] : opt) o->step();
  for (auto& [name, t] : terms) t = t.detach();
  return terms;
}

}  // namespace latentkit
