#pragma once
// Preprocessing between raw values (pixel levels 0..255, CSV columns) and model space:
//   x = (raw - offset) / scale, per column,
// which covers scaling to [0,1] (images: offset 0, scale 255; tabular: min-max per column)
// and standardization (offset = mean, scale = std). Dynamic binarization is applied per training
// batch (a fresh Bernoulli draw each time a batch is seen). Fitted on the training split and
// saved with the model, so evaluation and scoring apply exactly the same map.
#include <torch/types.h>

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace latentkit {

enum class Scaling { None, Unit, Standardize };

struct Preprocessor {
  Scaling scaling = Scaling::Unit;
  bool binarize = false;      // dynamic binarization of training batches (Bernoulli(x))
  torch::Tensor offset;       // [D] float32
  torch::Tensor scale;        // [D] float32, strictly positive

  // Fits offset and scale on raw training data. `pixel_levels` > 0 means raw values are image
  // levels in [0, pixel_levels] (Unit scaling then divides by it instead of using min-max).
  // raw: [N, D]
  static Preprocessor fit(const torch::Tensor& raw, Scaling scaling, bool binarize,
                          double pixel_levels = 0.0);

  torch::Tensor apply(const torch::Tensor& raw) const;   // raw: [N, D] -> x: [N, D]
  torch::Tensor invert(const torch::Tensor& x) const;    // x: [N, D] -> raw: [N, D]
  // The training-time view of a batch: a Bernoulli draw when binarize is set, else x itself.
  torch::Tensor training_view(const torch::Tensor& x) const;

  nlohmann::json to_json() const;                        // scaling and binarize (not tensors)
  static Preprocessor from_json(const nlohmann::json& j);
};

std::string to_string(Scaling s);
Scaling parse_scaling(const std::string& name);          // "none" | "unit" | "standardize"

}  // namespace latentkit
