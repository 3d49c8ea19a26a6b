// DataConfig <-> JSON, and the checks shared by from_json and load_dataset.
#include "latentkit/data/data_config.h"

#include <nlohmann/json.hpp>
#include <type_traits>

#include "latentkit/data/synthetic.h"
#include "latentkit/error.h"
#include "latentkit/util/text.h"

namespace latentkit {

nlohmann::json DataConfig::to_json() const {
  return {{"source", source},
          {"scaling", scaling},
          {"binarize", binarize},
          {"csv_header", csv_header},
          {"label_column", label_column},
          {"test_fraction", test_fraction},
          {"synthetic_size", synthetic_size},
          {"limit", limit},
          {"seed", seed}};
}

namespace {
// j[key] as T when present, else `fallback`. Types are checked first because nlohmann's get<>
// silently truncates 0.5 to an int64 and wraps -1 into a uint64.
template <typename T>
T field(const nlohmann::json& j, const char* key, const T& fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  bool ok = false;
  const char* expected = "a number";
  if constexpr (std::is_same_v<T, bool>) {
    ok = it->is_boolean();
    expected = "true or false";
  } else if constexpr (std::is_same_v<T, std::string>) {
    ok = it->is_string();
    expected = "a string";
  } else if constexpr (std::is_unsigned_v<T>) {
    ok = it->is_number_unsigned() || (it->is_number_integer() && it->template get<int64_t>() >= 0);
    expected = "a non-negative integer";
  } else if constexpr (std::is_integral_v<T>) {
    ok = it->is_number_integer();
    expected = "an integer";
  } else {
    ok = it->is_number();
  }
  if (!ok)
    fail(std::string("data.") + key, std::string("expected ") + expected + ", got " + it->dump());
  return it->template get<T>();
}

}  // namespace

DataConfig DataConfig::from_json(const nlohmann::json& j) {
  if (!j.is_object()) fail("data", "expected a JSON object, got " + j.dump());
  DataConfig c;
  c.source = field(j, "source", c.source);
  c.scaling = field(j, "scaling", c.scaling);
  c.binarize = field(j, "binarize", c.binarize);
  c.csv_header = field(j, "csv_header", c.csv_header);
  c.label_column = field(j, "label_column", c.label_column);
  c.test_fraction = field(j, "test_fraction", c.test_fraction);
  c.synthetic_size = field(j, "synthetic_size", c.synthetic_size);
  c.limit = field(j, "limit", c.limit);
  c.seed = field(j, "seed", c.seed);
  c.validate();
  return c;
}

void DataConfig::validate() const {
  bool known = source == "fashion-mnist";
  for (const char* prefix : {"idx:", "csv:", "npy:"})
    if (starts_with(source, prefix)) {
      if (source.size() == 4) fail("source", "'" + source + "' needs a path after the colon");
      known = true;
    }
  for (const auto& name : synthetic_names()) known = known || source == name;
  if (!known) {
    std::string valid = "fashion-mnist, idx:DIR, csv:FILE, npy:FILE";
    for (const auto& name : synthetic_names()) valid += ", " + name;
    fail("source", "unknown data source '" + source + "' (valid: " + valid + ")");
  }
  if (scaling != "auto" && scaling != "none" && scaling != "unit" && scaling != "standardize")
    fail("scaling", "unknown scaling '" + scaling + "' (valid: auto, none, unit, standardize)");
  if (csv_header != "auto" && csv_header != "yes" && csv_header != "no")
    fail("csv_header", "unknown value '" + csv_header + "' (valid: auto, yes, no)");
  if (label_column < -1)
    fail("label_column",
         "must be a column index >= 0, or -1 for none; got " + std::to_string(label_column));
  if (!(test_fraction >= 0.0 && test_fraction < 1.0))
    fail("test_fraction", "must be in [0, 1), got " + std::to_string(test_fraction));
  if (synthetic_size <= 0)
    fail("synthetic_size", "must be positive, got " + std::to_string(synthetic_size));
  if (limit < 0) fail("limit", "must be >= 0 (0: all), got " + std::to_string(limit));
}

std::vector<std::string> class_names(const std::string& source) {
  // Zalando's labels for Fashion-MNIST, in label order.
  if (source == "fashion-mnist")
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return {};
}

}  // namespace latentkit
