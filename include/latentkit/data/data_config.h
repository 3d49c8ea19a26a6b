#pragma once
// Which data to load and how to preprocess it; saved in a run's config.json.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "latentkit/data/dataset.h"
#include "latentkit/util/options.h"

namespace latentkit {

#define LATENTKIT_DATA_OPTIONS(X)                                                                     \
  X(std::string, source, "fashion-mnist", "--data",                                                    \
    "Dataset: fashion-mnist, idx:DIR, csv:FILE, npy:FILE, images:DIR, moons, rings, 8gaussians, "      \
    "checkerboard",                                                                                     \
    any_value())                                                                                        \
  X(std::string, scaling, "auto", "--scaling",                                                          \
    "auto (unit for images, standardize for tables), none, unit or standardize",                       \
    one_of({"auto", "none", "unit", "standardize"}))                                                    \
  X(bool, binarize, false, "--binarize", "Dynamic binarization of training batches", any_value())       \
  X(std::string, csv_header, "auto", "--csv-header", "CSV header line: auto, yes or no",                \
    one_of({"auto", "yes", "no"}))                                                                      \
  X(int64_t, label_column, -1, "--label-column", "CSV/npy column holding integer labels (-1: none)",    \
    between(-1, kMaxWidth))                                                                             \
  X(double, test_fraction, 0.2, "--test-fraction", "Test share for data without a test split",          \
    in_range(0, 1))                                                                                     \
  X(int64_t, synthetic_size, 20000, "", "Points drawn for synthetic sets", between(1, 1e8))             \
  X(int64_t, limit, 0, "--limit", "Use at most this many training samples (0: all)", at_least(0))       \
  X(std::string, image_size, "", "--image-size",                                                       \
    "images:DIR: resize each image to cover HxW (or H, square) and centre-crop it (empty: keep sizes)", \
    image_size_problem)                                                                                 \
  X(std::string, image_shape, "", "--image-shape",                                                     \
    "C,H,W of the rows of a csv:/npy: table of images (pixel levels 0..255, or [0, 1])",              \
    image_shape_problem)                                                                                \
  X(uint64_t, seed, 1, "",                                                                             \
    "Seed of synthetic draws, of the train/test split of tables and folders, and of folders' order",   \
    any_value())

struct DataConfig {
  LATENTKIT_DATA_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();

  nlohmann::json to_json() const;
  // Missing fields keep their defaults; unknown ones are rejected; the result is validated.
  static DataConfig from_json(const nlohmann::json& j);
  // Throws InputError naming the bad field: an unknown source (listing the valid ones), scaling
  // or csv_header, test_fraction outside [0, 1), synthetic_size <= 0, limit < 0, ...
  void validate() const;
};

// Loads, splits and preprocesses. Throws InputError on bad input. `fitted`, when given, is the
// preprocessing saved with a model: it is applied instead of fitting a new one.
Dataset load_dataset(const DataConfig& config, const Preprocessor* fitted = nullptr);

// Loads a file of inputs to score or encode with an already-fitted preprocessor: an IDX images
// file, a CSV, a .npy, or for an image model (`image` set) a PNG/JPEG file or a folder of them
// (sorted by name), each fitted to the model's channels and size (resize to cover, centre crop).
// Returns x in model space: [N, D]; checks D against `dim`.
torch::Tensor load_inputs(const std::string& path, const Preprocessor& preprocess, int64_t dim,
                          const std::optional<ImageShape>& image = std::nullopt);

// The names of the classes of a labelled source, by label ("T-shirt/top", ... for
// fashion-mnist; the class folders of images:DIR); empty when the source's labels have no names
// or the folder is gone (labels are then shown as numbers).
std::vector<std::string> class_names(const std::string& source);

// The directory Debian's dataset-fashion-mnist package installs.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

}  // namespace latentkit
