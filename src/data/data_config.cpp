// DataConfig <-> JSON, and the checks shared by from_json and load_dataset.
#include "latentkit/data/data_config.h"

#include <nlohmann/json.hpp>

#include "latentkit/data/image_folder.h"
#include "latentkit/data/synthetic.h"
#include "latentkit/error.h"
#include "latentkit/util/text.h"

namespace latentkit {

namespace {

void check_source(const DataConfig& c) {
  bool known = c.source == "fashion-mnist";
  for (const char* prefix : {"idx:", "csv:", "npy:", "images:"})
    if (starts_with(c.source, prefix)) {
      if (c.source.size() == std::string(prefix).size()) fail("source", "'" + c.source + "' needs a path after the colon");
      known = true;
    }
  for (const auto& name : synthetic_names()) known = known || c.source == name;
  if (!known) {
    std::string valid = "fashion-mnist, idx:DIR, csv:FILE, npy:FILE, images:DIR";
    for (const auto& name : synthetic_names()) valid += ", " + name;
    fail("source", "unknown data source '" + c.source + "' (valid: " + valid + ")");
  }
}

// --image-size resizes folders of image files; --image-shape gives tables of rows an image shape.
// (The texts themselves are checked by the option lines.)
void check_image_options(const DataConfig& c) {
  if (!c.image_size.empty() && !starts_with(c.source, "images:"))
    fail("image_size", "applies to images:DIR sources, not '" + c.source + "'");
  if (!c.image_shape.empty() && !starts_with(c.source, "csv:") && !starts_with(c.source, "npy:"))
    fail("image_shape", "applies to csv:FILE and npy:FILE tables, not '" + c.source + "'");
}

}  // namespace

const OptionTable& DataConfig::table() {
  using Self = DataConfig;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("data", "Data", {LATENTKIT_DATA_OPTIONS(LATENTKIT_OPTION_SPEC)});
    t.check<Self>([](const Self& c, const void*) {
      check_source(c);
      check_image_options(c);
    });
    return t;
  }();
  return table;
}

nlohmann::json DataConfig::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  table().write(this, j);
  return j;
}

DataConfig DataConfig::from_json(const nlohmann::json& j) {
  if (!j.is_object()) fail("data", "expected a JSON object, got " + j.dump());
  DataConfig c;
  std::set<std::string> read;
  table().read(&c, j, &read);
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!read.count(it.key())) fail(it.key(), "unknown data config field");
  c.validate();
  return c;
}

void DataConfig::validate() const { table().validate(this); }

std::vector<std::string> class_names(const std::string& source) {
  // Zalando's labels for Fashion-MNIST, in label order.
  if (source == "fashion-mnist")
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  if (starts_with(source, "images:")) return image_folder_classes(source.substr(7));
  return {};
}

}  // namespace latentkit
