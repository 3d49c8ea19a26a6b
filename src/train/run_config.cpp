// RunConfig <-> JSON: each section is a loop over its option tables (util/options.h).
#include "latentkit/train/run_config.h"

#include <nlohmann/json.hpp>

#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/util/input_file.h"

namespace latentkit {

using nlohmann::json;

namespace {
// A config is a few kilobytes; anything near this is not one (and would be parsed in memory).
constexpr uint64_t kMaxConfigBytes = 16 << 20;
}  // namespace

const OptionTable& TrainConfig::table() {
  using Self = TrainConfig;
  static const OptionTable table =
      OptionTable::of<Self>("train", "Training", {LATENTKIT_TRAIN_OPTIONS(LATENTKIT_OPTION_SPEC)});
  return table;
}

json TrainConfig::to_json() const {
  json j = json::object();
  table().write(this, j);
  ExecutionOptions::table().write(&execution, j);
  return j;
}

TrainConfig TrainConfig::from_json(const json& j) {
  if (!j.is_object()) fail("train", std::string("expected a JSON object, got ") + j.type_name());
  TrainConfig c;
  std::set<std::string> read;
  table().read(&c, j, &read);
  ExecutionOptions::table().read(&c.execution, j, &read);
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!read.count(it.key())) fail(it.key(), "unknown training config field");
  // Each value in its line's range (the device is not checked: a run trained on a GPU opens on
  // a machine without one).
  table().check_settings(&c);
  ExecutionOptions::table().check_settings(&c.execution);
  return c;
}

void TrainConfig::validate() const {
  table().validate(this);
  ExecutionOptions::table().validate(&execution);
}

ModelConfig RunConfig::default_model() { return default_config("vae"); }

json RunConfig::to_json() const {
  return json{{"data", data.to_json()}, {"model", model.to_json()}, {"train", train.to_json()}};
}

namespace {
// Runs `read`, prefixing its InputError with the section: "model.beta: must be >= 0".
template <typename Fn>
void in_section(const char* section, Fn read) {
  try {
    read();
  } catch (const InputError& e) {
    throw InputError(std::string(section) + "." + e.what());
  }
}
}  // namespace

RunConfig RunConfig::from_json(const json& j) {
  if (!j.is_object()) fail("config", std::string("expected a JSON object, got ") + j.type_name());
  RunConfig c;
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "data" && it.key() != "model" && it.key() != "train")
      fail(it.key(), "unknown config section (expected data, model and train)");
  if (j.contains("data")) in_section("data", [&] { c.data = DataConfig::from_json(j.at("data")); });
  if (j.contains("model"))
    in_section("model", [&] {
      c.model = read_model_config(j.at("model"));
      // Ranges only: the checks across settings need the data's dimensions (make_model).
      for (const auto& group : c.model.options.all()) group->table().check_settings(group->data());
    });
  if (j.contains("train")) in_section("train", [&] { c.train = TrainConfig::from_json(j.at("train")); });
  return c;
}

RunConfig RunConfig::load(const std::string& path) {
  const std::string text = read_regular_file(path, kMaxConfigBytes);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(path, std::string("not a valid config: ") + e.what());
  }
  try {
    return from_json(j);
  } catch (const InputError& e) {
    fail(path, e.what());
  }
}

}  // namespace latentkit
