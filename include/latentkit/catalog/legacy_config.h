#pragma once
// latentkit 0.1.0's model configs: one JSON object with the fields of every kind, written in
// full whatever the kind. Reading one keeps the fields the kind reads, under today's names.
#include <nlohmann/json_fwd.hpp>

#include "latentkit/models/model_config.h"

namespace latentkit {

// j: a 0.1.0 model config; kind: a default config of its kind (the families it reads). Returns
// the object with 0.1.0's fields renamed ("likelihood" is an autoencoder's "loss"), their
// "kind's default" values (0, "default") and the fields the kind does not read dropped; keys
// 0.1.0 never wrote are kept, for the reader to reject.
nlohmann::json upgrade_legacy_model_config(const nlohmann::json& j, const ModelConfig& kind);

}  // namespace latentkit
