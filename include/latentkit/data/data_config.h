#pragma once
// Which data to load and how to preprocess it; saved in a run's config.json.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "latentkit/data/dataset.h"

namespace latentkit {

struct DataConfig {
  // "fashion-mnist" | "idx:DIR" | "csv:FILE" | "npy:FILE" | "moons" | "rings" | "8gaussians" |
  // "checkerboard"
  std::string source = "fashion-mnist";
  std::string scaling = "auto";    // "auto" (unit for images, standardize for tables) | "none" |
                                   // "unit" | "standardize"
  bool binarize = false;           // dynamic binarization of training batches
  std::string csv_header = "auto"; // "auto" | "yes" | "no"
  int64_t label_column = -1;       // CSV/npy: a column holding integer labels, -1 for none
  double test_fraction = 0.2;      // for sources without their own test split
  int64_t synthetic_size = 20000;  // points drawn for synthetic sets
  int64_t limit = 0;               // keep at most this many training samples (0: all)
  uint64_t seed = 1;               // synthetic draws and the train/test split of tables

  nlohmann::json to_json() const;
  // Missing fields keep their defaults; the result is validated.
  static DataConfig from_json(const nlohmann::json& j);
  // Throws InputError naming the bad field: an unknown source (listing the valid ones), scaling
  // or csv_header, test_fraction outside [0, 1), synthetic_size <= 0, limit < 0, ...
  void validate() const;
};

// Loads, splits and preprocesses. Throws InputError on bad input. `fitted`, when given, is the
// preprocessing saved with a model: it is applied instead of fitting a new one.
Dataset load_dataset(const DataConfig& config, const Preprocessor* fitted = nullptr);

// Loads a file of inputs to score or encode with an already-fitted preprocessor: an IDX images
// file, a CSV or a .npy. Returns x in model space: [N, D]; checks D against `dim`.
torch::Tensor load_inputs(const std::string& path, const Preprocessor& preprocess, int64_t dim);

// The names of the classes of a labelled source, by label ("T-shirt/top", ... for
// fashion-mnist); empty when the source's labels have no names (they are then shown as numbers).
std::vector<std::string> class_names(const std::string& source);

// The directory Debian's dataset-fashion-mnist package installs.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

}  // namespace latentkit
