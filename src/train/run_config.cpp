#include "latentkit/train/run_config.h"

#include <nlohmann/json.hpp>

#include "latentkit/error.h"
#include "latentkit/util/atomic_file.h"

namespace latentkit {

using nlohmann::json;

json TrainConfig::to_json() const {
  return json{{"epochs", epochs},       {"batch_size", batch_size},
              {"lr", lr},               {"weight_decay", weight_decay},
              {"seed", seed},           {"threads", threads},
              {"blas_threads", blas_threads}, {"fused", fused},
              {"precision", precision},
              {"device", device},       {"eval_batch_size", eval_batch_size},
              {"grid_size", grid_size}};
}

TrainConfig TrainConfig::from_json(const json& j) {
  TrainConfig c;
  c.epochs = j.value("epochs", c.epochs);
  c.batch_size = j.value("batch_size", c.batch_size);
  c.lr = j.value("lr", c.lr);
  c.weight_decay = j.value("weight_decay", c.weight_decay);
  c.seed = j.value("seed", c.seed);
  c.threads = j.value("threads", c.threads);
  c.blas_threads = j.value("blas_threads", c.blas_threads);
  c.fused = j.value("fused", c.fused);
  c.precision = j.value("precision", c.precision);
  c.device = j.value("device", c.device);
  c.eval_batch_size = j.value("eval_batch_size", c.eval_batch_size);
  c.grid_size = j.value("grid_size", c.grid_size);
  return c;
}

void TrainConfig::validate() const {
  if (epochs < 0) fail("--epochs", "must be at least 0, got " + std::to_string(epochs));
  if (batch_size < 1) fail("--batch-size", "must be at least 1, got " + std::to_string(batch_size));
  if (!(lr > 0)) fail("--lr", "must be positive");
  if (weight_decay < 0) fail("--weight-decay", "must be at least 0");
  if (threads < 0) fail("--threads", "must be at least 0 (0 chooses)");
  if (blas_threads < 0) fail("--blas-threads", "must be at least 0 (0 chooses)");
  if (precision != "fp32" && precision != "bf16")
    fail("--precision", "must be fp32 or bf16, got '" + precision + "'");
  if (eval_batch_size < 1) fail("eval_batch_size", "must be at least 1");
  if (grid_size < 1) fail("grid_size", "must be at least 1");
}

json RunConfig::to_json() const {
  return json{{"data", data.to_json()}, {"model", model.to_json()}, {"train", train.to_json()}};
}

RunConfig RunConfig::from_json(const json& j) {
  RunConfig c;
  if (j.contains("data")) c.data = DataConfig::from_json(j.at("data"));
  if (j.contains("model")) c.model = ModelConfig::from_json(j.at("model"));
  if (j.contains("train")) c.train = TrainConfig::from_json(j.at("train"));
  return c;
}

RunConfig RunConfig::load(const std::string& path) {
  const std::string text = read_file(path);
  try {
    return from_json(json::parse(text));
  } catch (const json::exception& e) {
    fail(path, std::string("not a valid config: ") + e.what());
  }
}

}  // namespace latentkit
