#pragma once
// The architecture and objective of a model, saved with its weights so a checkpoint alone can
// rebuild it: a small core every kind has (its kind and the data's dimensions) and the option
// structs of the families the kind reads (NetworkOptions, VaeOptions, FlowOptions, ...; each
// declared beside its model). The catalog (catalog/catalog.h) says which families a kind reads
// and builds, reads and validates configs; a config holds exactly its kind's families.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "latentkit/util/options.h"

namespace latentkit {

// The format of the model configs this version writes (the "format" key); configs without the
// key were written by latentkit 0.1.0, whose one struct held every kind's fields.
inline constexpr int kModelConfigFormat = 2;

struct ModelConfig {
  std::string kind;                  // a kind of the catalog
  int64_t input_dim = 0;             // D, from the data
  std::vector<int64_t> image_shape;  // {C, H, W} for image data, empty otherwise
  OptionGroups options;              // the structs of the kind's option families

  template <typename O> O& get() { return options.get<O>(); }
  template <typename O> const O& get() const { return options.get<O>(); }
  template <typename O> bool reads() const { return options.find<O>() != nullptr; }
  bool image() const { return !image_shape.empty(); }

  // {"format", "kind", "input_dim", "image_shape", then every option of every family}: flat,
  // since a kind's families never share a key.
  nlohmann::json to_json() const;
  // The core's checks (input_dim >= 1, image_shape {C, H, W} matching input_dim); throws
  // InputError naming the field. The families' checks are the catalog's validate().
  void validate_core() const;
};

}  // namespace latentkit
