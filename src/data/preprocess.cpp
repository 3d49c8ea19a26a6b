// x = (raw - offset) / scale per column; see preprocess.h for why it is fitted once and saved.
#include "latentkit/data/preprocess.h"

#include <nlohmann/json.hpp>

#include "latentkit/error.h"
#include "latentkit/util/batch_shard.h"

namespace latentkit {

std::string to_string(Scaling s) {
  switch (s) {
    case Scaling::None:
      return "none";
    case Scaling::Unit:
      return "unit";
    case Scaling::Standardize:
      return "standardize";
  }
  return "unknown";
}

Scaling parse_scaling(const std::string& name) {
  if (name == "none") return Scaling::None;
  if (name == "unit") return Scaling::Unit;
  if (name == "standardize") return Scaling::Standardize;
  fail("scaling", "unknown scaling '" + name + "' (valid: none, unit, standardize)");
}

// raw: [N, D] -> offset, scale: [D]
Preprocessor Preprocessor::fit(const torch::Tensor& raw, Scaling scaling, bool binarize,
                               double pixel_levels) {
  if (raw.dim() != 2) throw std::invalid_argument("Preprocessor::fit: raw must be [N, D]");
  if (raw.size(0) == 0) throw InputError("cannot fit preprocessing on 0 training samples");
  const torch::Tensor r = raw.detach().to(torch::kCPU);
  const int64_t d = r.size(1);
  Preprocessor p;
  p.scaling = scaling;
  p.binarize = binarize;
  torch::Tensor offset = torch::zeros({d}, torch::kFloat64);
  torch::Tensor scale = torch::ones({d}, torch::kFloat64);
  if (scaling == Scaling::Unit && pixel_levels > 0) {
    // Images: a fixed map of levels 0..pixel_levels to [0, 1], the same for every pixel, so a
    // pixel that is always black in training does not get its own scale.
    scale.fill_(pixel_levels);
  } else if (scaling == Scaling::Unit) {
    offset = std::get<0>(r.min(0)).to(torch::kFloat64);  // min and max are exact in float32
    scale = std::get<0>(r.max(0)).to(torch::kFloat64) - offset;
    // A constant column maps to 0 rather than dividing by ~0.
    scale = torch::where(scale < 1e-12, torch::ones_like(scale), scale);
  } else if (scaling == Scaling::Standardize) {
    // Statistics in float64: float32 sums over 60000 x 784 values lose digits.
    const torch::Tensor r64 = r.to(torch::kFloat64);
    offset = r64.mean(0);
    // Population std (divide by N): with one sample it is 0, and falls back to 1 below.
    scale = r64.std(0, /*unbiased=*/false);
    scale = torch::where(scale < 1e-12, torch::ones_like(scale), scale);
  }
  p.offset = offset.to(torch::kFloat32);
  p.scale = scale.to(torch::kFloat32);
  return p;
}

namespace {
void check_fitted(const Preprocessor& p, const torch::Tensor& t, const char* what) {
  if (!p.offset.defined() || !p.scale.defined())
    throw std::logic_error(std::string("Preprocessor::") + what + ": not fitted");
  if (t.dim() != 2 || t.size(1) != p.offset.size(0))
    throw std::invalid_argument(std::string("Preprocessor::") + what + ": expected [N, " +
                                std::to_string(p.offset.size(0)) + "]");
}
}  // namespace

// raw: [N, D] -> x: [N, D] float32
torch::Tensor Preprocessor::apply(const torch::Tensor& raw) const {
  check_fitted(*this, raw, "apply");
  // One temporary, divided in place: image sets are ~200 MB of float32.
  return (raw.to(torch::kFloat32) - offset.to(raw.device())).div_(scale.to(raw.device()));
}

// x: [N, D] -> raw: [N, D] float32
torch::Tensor Preprocessor::invert(const torch::Tensor& x) const {
  check_fitted(*this, x, "invert");
  return (x.to(torch::kFloat32) * scale.to(x.device())).add_(offset.to(x.device()));
}

// x: [B, D] -> [B, D]
torch::Tensor Preprocessor::training_view(const torch::Tensor& x) const {
  if (!binarize) return x;
  // Min-max scaling can round a training maximum to 1 + ulp; bernoulli rejects p > 1. The
  // global generator is used on purpose: the trainer seeds and checkpoints it.
  return batch_bernoulli(x.clamp(0.0, 1.0));
}

nlohmann::json Preprocessor::to_json() const {
  return {{"scaling", to_string(scaling)}, {"binarize", binarize}};
}

Preprocessor Preprocessor::from_json(const nlohmann::json& j) {
  Preprocessor p;
  try {
    p.scaling = parse_scaling(j.value("scaling", std::string("unit")));
    p.binarize = j.value("binarize", false);
  } catch (const nlohmann::json::exception& e) {
    fail("preprocess", std::string("malformed JSON: ") + e.what());
  }
  return p;
}

}  // namespace latentkit
