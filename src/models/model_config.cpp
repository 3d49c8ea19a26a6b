// ModelConfig's core: JSON writing and the checks of the data's dimensions.
#include "latentkit/models/model_config.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "latentkit/error.h"

namespace latentkit {

nlohmann::json ModelConfig::to_json() const {
  nlohmann::json j{{"format", kModelConfigFormat}, {"kind", kind}, {"input_dim", input_dim}, {"image_shape", image_shape}};
  for (const auto& group : options.all()) group->table().write(group->data(), j);
  return j;
}

void ModelConfig::validate_core() const {
  if (input_dim < 1) fail("input_dim", "must be >= 1 (got " + std::to_string(input_dim) + ")");
  if (image_shape.empty()) return;
  const std::string shape = "{" + option_text(image_shape) + "}";
  if (image_shape.size() != 3 ||
      std::any_of(image_shape.begin(), image_shape.end(), [](int64_t s) { return s < 1; }))
    fail("image_shape", "must be {C, H, W} with positive sizes (got " + shape + ")");
  const int64_t chw = image_shape[0] * image_shape[1] * image_shape[2];
  if (input_dim != chw)
    fail("input_dim", std::to_string(input_dim) + " does not match image_shape " + shape +
                          " (C*H*W = " + std::to_string(chw) + ")");
}

}  // namespace latentkit
