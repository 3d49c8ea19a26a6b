#include "latentkit/train/checkpoint.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "latentkit/error.h"
#include "latentkit/train/checkpoint_archive.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/util/input_file.h"
#include "latentkit/util/memory_budget.h"

namespace latentkit {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

torch::Tensor bytes_to_tensor(const std::string& bytes) {
  auto t = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

std::string tensor_to_bytes(const torch::Tensor& t) {
  auto c = t.contiguous().to(torch::kCPU);
  return std::string(static_cast<const char*>(c.data_ptr()), c.numel());
}

c10::impl::GenericDict tensor_dict(const std::map<std::string, torch::Tensor>& tensors) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, t] : tensors) dict.insert(name, t.detach().to(torch::kCPU).contiguous());
  return dict;
}

json progress_json(const TrainingProgress& p) {
  json j{{"epoch", p.epoch}, {"batch", p.batch},   {"sums", p.sums},
         {"seen", p.seen},   {"seconds", p.seconds}, {"best_test_loss", p.best_test_loss}};
  if (!p.metrics_line.empty()) j["metrics_line"] = p.metrics_line;
  return j;
}

TrainingProgress progress_from_json(const json& j) {
  TrainingProgress p;
  p.epoch = j.at("epoch").get<int64_t>();
  p.batch = j.at("batch").get<int64_t>();
  p.sums = j.at("sums").get<std::map<std::string, double>>();
  p.seen = j.at("seen").get<int64_t>();
  p.seconds = j.at("seconds").get<double>();
  p.best_test_loss = j.at("best_test_loss").get<double>();
  p.metrics_line = j.value("metrics_line", std::string());
  return p;
}

// Looks up `key` in a generic dict, failing with a message naming the checkpoint.
c10::IValue entry(const c10::impl::GenericDict& dict, const std::string& key,
                  const std::string& path) {
  auto it = dict.find(key);
  if (it == dict.end()) fail(path, "not a latentkit checkpoint (no '" + key + "' entry)");
  return it->value();
}

std::map<std::string, torch::Tensor> tensors_of(const c10::IValue& v, const std::string& what,
                                                const std::string& path) {
  if (!v.isGenericDict()) fail(path, "corrupt checkpoint ('" + what + "' is not a dict)");
  std::map<std::string, torch::Tensor> out;
  for (const auto& kv : v.toGenericDict()) {
    if (!kv.key().isString() || !kv.value().isTensor())
      fail(path, "corrupt checkpoint ('" + what + "' holds a non-tensor)");
    out.emplace(kv.key().toStringRef(), kv.value().toTensor());
  }
  return out;
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& ck) {
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("format", std::string(kCheckpointFormat));
  root.insert("config", ck.config.to_json().dump());
  json state = progress_json(ck.progress);
  state["preprocess"] = ck.preprocess.to_json();
  root.insert("state", state.dump());
  root.insert("model", tensor_dict(ck.model));
  root.insert("preprocess",
              tensor_dict({{"offset", ck.preprocess.offset}, {"scale", ck.preprocess.scale}}));
  std::map<std::string, torch::Tensor> optimizers;
  for (const auto& [name, bytes] : ck.optimizers) optimizers[name] = bytes_to_tensor(bytes);
  root.insert("optimizers", tensor_dict(optimizers));
  std::map<std::string, torch::Tensor> rng{{"cpu", ck.rng_cpu}};
  if (ck.rng_device.defined()) rng["device"] = ck.rng_device;
  root.insert("rng", tensor_dict(rng));
  root.insert("permutation", ck.permutation.defined()
                                 ? ck.permutation.to(torch::kCPU).contiguous()
                                 : torch::empty({0}, torch::kLong));
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(root));
  fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  write_file_atomic(path, std::string_view(bytes.data(), bytes.size()));
}

Checkpoint load_checkpoint(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path, "no such checkpoint");
  c10::IValue value;
  reading(path, [&] {
    // Regular files only: a FIFO or /dev/zero given as --run would block or read for ever.
    const std::string raw = read_regular_file(path);
    check_checkpoint_archive(path, raw);  // before LibTorch's zip reader, which trusts the file
    try {
      value = torch::pickle_load(std::vector<char>(raw.begin(), raw.end()));
    } catch (const std::exception&) {
      // An allocation failure inside the unpickler is reported as such by reading().
      if (!allocation_failure(std::current_exception()).empty()) throw;
      fail(path, "not a readable checkpoint (truncated or corrupt)");
    }
  });
  if (!value.isGenericDict()) fail(path, "not a latentkit checkpoint");
  const auto root = value.toGenericDict();
  const auto format = entry(root, "format", path);
  if (!format.isString() || format.toStringRef() != kCheckpointFormat)
    fail(path, std::string("unsupported checkpoint format (expected ") + kCheckpointFormat + ")");
  Checkpoint ck;
  try {
    ck.config = RunConfig::from_json(json::parse(entry(root, "config", path).toStringRef()));
    const json state = json::parse(entry(root, "state", path).toStringRef());
    ck.progress = progress_from_json(state);
    ck.preprocess = Preprocessor::from_json(state.at("preprocess"));
  } catch (const json::exception& e) {
    fail(path, std::string("corrupt checkpoint metadata: ") + e.what());
  } catch (const InputError& e) {
    fail(path, e.what());
  }
  ck.model = tensors_of(entry(root, "model", path), "model", path);
  auto pre = tensors_of(entry(root, "preprocess", path), "preprocess", path);
  if (!pre.count("offset") || !pre.count("scale")) fail(path, "corrupt checkpoint (preprocess)");
  ck.preprocess.offset = pre.at("offset");
  ck.preprocess.scale = pre.at("scale");
  for (const auto& [name, t] : tensors_of(entry(root, "optimizers", path), "optimizers", path))
    ck.optimizers[name] = tensor_to_bytes(t);
  auto rng = tensors_of(entry(root, "rng", path), "rng", path);
  if (!rng.count("cpu")) fail(path, "corrupt checkpoint (no CPU generator state)");
  ck.rng_cpu = rng.at("cpu");
  if (rng.count("device")) ck.rng_device = rng.at("device");
  const auto perm = entry(root, "permutation", path);
  if (!perm.isTensor()) fail(path, "corrupt checkpoint (permutation)");
  if (perm.toTensor().numel() > 0) ck.permutation = perm.toTensor();
  return ck;
}

std::map<std::string, torch::Tensor> model_state(const Model& model) {
  std::map<std::string, torch::Tensor> state;
  for (const auto& p : model.named_parameters()) state[p.key()] = p.value();
  for (const auto& b : model.named_buffers()) state[b.key()] = b.value();
  return state;
}

void load_model_state(Model& model, const std::map<std::string, torch::Tensor>& state,
                      const std::string& source) {
  torch::NoGradGuard no_grad;
  auto copy_into = [&](const std::string& name, torch::Tensor& target) {
    auto it = state.find(name);
    if (it == state.end()) fail(source, "has no weights for '" + name + "'");
    if (it->second.sizes() != target.sizes()) {
      std::ostringstream msg;
      msg << "weights '" << name << "' have shape " << it->second.sizes() << ", the model needs "
          << target.sizes();
      fail(source, msg.str());
    }
    target.copy_(it->second);
  };
  for (auto& p : model.named_parameters()) copy_into(p.key(), p.value());
  for (auto& b : model.named_buffers()) copy_into(b.key(), b.value());
}

std::string optimizer_bytes(const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void load_optimizer_bytes(torch::optim::Optimizer& optimizer, const std::string& bytes,
                          const std::string& source) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    optimizer.load(archive);
  } catch (const c10::Error&) {
    fail(source, "optimizer state does not fit this model");
  }
}

std::string resolve_checkpoint_path(const std::string& run_or_file) {
  if (fs::is_directory(run_or_file)) return (fs::path(run_or_file) / "checkpoints" / "last.pt").string();
  return run_or_file;
}

}  // namespace latentkit
