// The feature classifier and its cache; see feature_classifier.h.
#include "latentkit/eval/feature_classifier.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "latentkit/error.h"
#include "latentkit/stats/frechet.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/util/rng.h"

namespace latentkit {

namespace fs = std::filesystem;

namespace {

constexpr const char* kClassifierFormat = "latentkit-feature-classifier-1";

// FNV-1a over bytes.
uint64_t classifier_fnv1a(const void* data, size_t n, uint64_t h = 1469598103934665603ULL) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

uint64_t classifier_tensor_hash(const torch::Tensor& t, uint64_t h) {
  auto c = t.to(torch::kCPU).contiguous();
  return classifier_fnv1a(c.data_ptr(), c.numel() * c.element_size(), h);
}

std::string classifier_safe_name(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
  return out.substr(0, 60);
}

}  // namespace

FeatureClassifier::FeatureClassifier(int64_t input_dim, int64_t classes, const FeatureClassifierConfig& c) {
  fc1_ = register_module("fc1", torch::nn::Linear(input_dim, c.hidden));
  fc2_ = register_module("fc2", torch::nn::Linear(c.hidden, c.features));
  out_ = register_module("out", torch::nn::Linear(c.features, classes));
}

// x: [B, D] -> [B, F]
torch::Tensor FeatureClassifier::features(const torch::Tensor& x) {
  return torch::relu(fc2_->forward(torch::relu(fc1_->forward(x))));
}

// x: [B, D] -> [B, C]
torch::Tensor FeatureClassifier::logits(const torch::Tensor& x) { return out_->forward(features(x)); }

// x: [N, D] -> [N, F]
torch::Tensor FeatureClassifier::features_batched(const torch::Tensor& x, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t s = 0; s < x.size(0); s += batch_size)
    parts.push_back(features(x.narrow(0, s, std::min(batch_size, x.size(0) - s))));
  return torch::cat(parts);
}

double FeatureClassifier::accuracy(const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  int64_t correct = 0;
  for (int64_t s = 0; s < x.size(0); s += batch_size) {
    const int64_t n = std::min(batch_size, x.size(0) - s);
    auto pred = logits(x.narrow(0, s, n)).argmax(1);
    correct += (pred == y.narrow(0, s, n)).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(x.size(0), 1));
}

std::shared_ptr<FeatureClassifier> train_feature_classifier(const Dataset& data,
                                                            const FeatureClassifierConfig& config) {
  if (!data.train.labelled() || !data.test.labelled())
    fail(data.name, "has no labels; the feature classifier needs a labelled dataset");
  const auto start = std::chrono::steady_clock::now();
  auto net = std::make_shared<FeatureClassifier>(data.dim(), data.num_classes(), config);
  net->to(data.train.x.device());
  {
    ScopedSeed seed(data.train.x.device(), config.seed);
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(config.lr));
    const int64_t n = data.train.size();
    for (int64_t epoch = 0; epoch < config.epochs; ++epoch) {
      auto perm = torch::randperm(n, torch::TensorOptions().dtype(torch::kLong).device(data.train.x.device()));
      for (int64_t s = 0; s < n; s += config.batch_size) {
        auto idx = perm.narrow(0, s, std::min(config.batch_size, n - s));
        auto loss = torch::nn::functional::cross_entropy(net->logits(data.train.x.index_select(0, idx)),
                                                         data.train.y.index_select(0, idx));
        opt.zero_grad();
        loss.backward();
        opt.step();
      }
    }
  }
  net->eval();
  net->train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  net->test_accuracy = net->accuracy(data.test.x, data.test.y);
  return net;
}

std::string default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/latentkit";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/latentkit";
  return ".latentkit-cache";
}

std::string feature_classifier_cache_path(const Dataset& data, const std::string& cache_dir,
                                          const FeatureClassifierConfig& c) {
  uint64_t h = classifier_tensor_hash(data.train.x, 1469598103934665603ULL);
  if (data.train.labelled()) h = classifier_tensor_hash(data.train.y, h);
  const std::string settings = std::to_string(c.hidden) + "," + std::to_string(c.features) + "," +
                               std::to_string(c.epochs) + "," + std::to_string(c.batch_size) + "," +
                               std::to_string(c.lr) + "," + std::to_string(c.seed);
  h = classifier_fnv1a(settings.data(), settings.size(), h);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return (fs::path(cache_dir) / ("classifier-" + classifier_safe_name(data.name) + "-" + hex + ".pt")).string();
}

namespace {

void save_feature_classifier(const std::string& path, FeatureClassifier& net) {
  c10::impl::GenericDict weights(c10::StringType::get(), c10::TensorType::get());
  for (const auto& p : net.named_parameters()) weights.insert(p.key(), p.value().detach().to(torch::kCPU));
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("format", std::string(kClassifierFormat));
  root.insert("test_accuracy", net.test_accuracy);
  root.insert("weights", weights);
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(root));
  fs::create_directories(fs::path(path).parent_path());
  write_file_atomic(path, std::string_view(bytes.data(), bytes.size()));
}

// Fills `net` from the file; false when the file is not a readable classifier of this shape.
bool load_feature_classifier(const std::string& path, FeatureClassifier& net) {
  try {
    const std::string raw = read_file(path);
    auto value = torch::pickle_load(std::vector<char>(raw.begin(), raw.end()));
    if (!value.isGenericDict()) return false;
    auto root = value.toGenericDict();
    if (!root.contains("format") || root.at("format").toStringRef() != kClassifierFormat) return false;
    auto weights = root.at("weights").toGenericDict();
    torch::NoGradGuard no_grad;
    for (auto& p : net.named_parameters()) {
      if (!weights.contains(p.key())) return false;
      auto t = weights.at(p.key()).toTensor();
      if (t.sizes() != p.value().sizes()) return false;
      p.value().copy_(t);
    }
    net.test_accuracy = root.at("test_accuracy").toDouble();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::shared_ptr<FeatureClassifier> load_or_train(const Dataset& data, const std::string& cache_dir,
                                                 const FeatureClassifierConfig& config) {
  if (!data.train.labelled() || !data.test.labelled())
    fail(data.name, "has no labels; the feature classifier needs a labelled dataset");
  const std::string path = feature_classifier_cache_path(data, cache_dir, config);
  if (fs::exists(path)) {
    auto net = std::make_shared<FeatureClassifier>(data.dim(), data.num_classes(), config);
    if (load_feature_classifier(path, *net)) {
      net->to(data.train.x.device());
      net->eval();
      net->from_cache = true;
      return net;
    }
    std::fprintf(stderr, "latentkit: note: %s: unreadable feature classifier cache; retraining it\n",
                 path.c_str());
  }
  auto net = train_feature_classifier(data, config);
  save_feature_classifier(path, *net);
  return net;
}

double sample_frechet_distance(FeatureClassifier& classifier, const torch::Tensor& generated,
                               const torch::Tensor& real) {
  const bool was_training = classifier.is_training();
  classifier.eval();
  auto a = classifier.features_batched(generated);
  auto b = classifier.features_batched(real);
  classifier.train(was_training);
  return frechet_distance(a, b);
}

}  // namespace latentkit
