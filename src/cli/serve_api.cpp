// The answers of `latentkit serve`'s JSON API (see serve_api.h and docs/SERVE.md).
#include "serve_api.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "latentkit/error.h"
#include "latentkit/eval/batched.h"

namespace latentkit::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool holds_run(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "checkpoints" / "last.pt", ec);
}

// {"rows": [[...], ...]} -> [N, D] float32; throws InputError naming the request's problem.
torch::Tensor rows_of(const json& body, int64_t max_rows) {
  if (!body.is_object() || !body.contains("rows")) fail("request", "the body must be {\"rows\": [[...], ...]}");
  const json& rows = body.at("rows");
  if (!rows.is_array() || rows.empty()) fail("request", "\"rows\" must be a non-empty array of rows");
  const int64_t n = static_cast<int64_t>(rows.size());
  if (n > max_rows)
    fail("request", std::to_string(n) + " rows, more than the limit of " + std::to_string(max_rows));
  if (!rows[0].is_array() || rows[0].empty()) fail("request", "row 0 is not a non-empty array of numbers");
  const int64_t d = static_cast<int64_t>(rows[0].size());
  auto out = torch::empty({n, d}, torch::kFloat32);
  float* p = out.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    const json& row = rows[static_cast<size_t>(i)];
    if (!row.is_array() || static_cast<int64_t>(row.size()) != d)
      fail("request", "row " + std::to_string(i) + " has " +
                          (row.is_array() ? std::to_string(row.size()) : std::string("no")) +
                          " values, row 0 has " + std::to_string(d));
    for (int64_t j = 0; j < d; ++j) {
      const json& v = row[static_cast<size_t>(j)];
      if (!v.is_number()) fail("request", "row " + std::to_string(i) + ", value " + std::to_string(j) + " is not a number");
      const double x = v.get<double>();
      if (!std::isfinite(x)) fail("request", "row " + std::to_string(i) + ", value " + std::to_string(j) + " is not finite");
      p[i * d + j] = static_cast<float>(x);
    }
  }
  return out;
}

// Optional "labels": [N] integers -> int64 tensor (undefined when absent).
torch::Tensor labels_of(const json& body, int64_t n) {
  if (!body.is_object() || !body.contains("labels")) return {};
  const json& labels = body.at("labels");
  if (!labels.is_array() || static_cast<int64_t>(labels.size()) != n)
    fail("request", "\"labels\" must be an array of " + std::to_string(n) + " integers");
  auto out = torch::empty({n}, torch::kLong);
  for (int64_t i = 0; i < n; ++i) {
    const json& v = labels[static_cast<size_t>(i)];
    if (!v.is_number_integer()) fail("request", "label " + std::to_string(i) + " is not an integer");
    out[i] = v.get<int64_t>();
  }
  return out;
}

// [N] tensor -> a JSON array of N numbers.
json values_json(const torch::Tensor& t) {
  auto c = t.detach().cpu().to(torch::kFloat64).contiguous().view({-1});
  const double* p = c.data_ptr<double>();
  return json(std::vector<double>(p, p + c.numel()));
}

// [N, K] tensor -> JSON rows.
json rows_json(const torch::Tensor& t) {
  auto c = t.detach().cpu().to(torch::kFloat64).contiguous();
  const int64_t n = c.size(0), k = c.size(1);
  const double* p = c.data_ptr<double>();
  json rows = json::array();
  for (int64_t i = 0; i < n; ++i) {
    json row = json::array();
    for (int64_t j = 0; j < k; ++j) row.push_back(p[i * k + j]);
    rows.push_back(std::move(row));
  }
  return rows;
}

json read_json_lines(const fs::path& path) {
  json lines = json::array();
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    // A line being written by a training run may be incomplete: it is left for the next request.
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded()) lines.push_back(std::move(j));
  }
  return lines;
}

// Runs `call` (a model computation) and adds its duration to `seconds`.
template <class F>
auto timed(double& seconds, F&& call) {
  const auto start = std::chrono::steady_clock::now();
  auto result = call();
  seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

ApiReply api_error(int status, const std::string& message) {
  return {status, json{{"error", message}}};
}

ServeApi::ServeApi(const std::vector<std::string>& paths, const ExecutionOptions& execution, ServeLimits limits)
    : limits_(limits) {
  std::vector<fs::path> dirs;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) fail(p, "not a directory (give run directories or a directory of runs)");
    if (holds_run(p)) {
      dirs.emplace_back(p);
      continue;
    }
    std::vector<fs::path> inside;
    for (const auto& e : fs::directory_iterator(p, ec))
      if (e.is_directory() && holds_run(e.path())) inside.push_back(e.path());
    if (inside.empty()) fail(p, "holds no run (no checkpoints/last.pt in it or in its subdirectories)");
    std::sort(inside.begin(), inside.end());
    dirs.insert(dirs.end(), inside.begin(), inside.end());
  }
  std::map<std::string, int> taken;
  for (const auto& dir : dirs) {
    auto run = std::make_unique<ServedRun>();
    std::string id = fs::path(dir).lexically_normal().filename().string();
    if (id.empty() || id == ".") id = fs::absolute(dir).lexically_normal().parent_path().filename().string();
    if (int n = taken[id]++; n > 0) id += "-" + std::to_string(n + 1);  // two runs of one name
    run->id = id;
    run->dir = dir.string();
    run->model = TrainedModel::open(dir.string(), execution);
    runs_.push_back(std::move(run));
  }
}

ServedRun* ServeApi::find(const std::string& id) const {
  for (const auto& r : runs_)
    if (r->id == id) return r.get();
  return nullptr;
}

ApiReply ServeApi::list_runs() const {
  json out = json::array();
  for (const auto& r : runs_) {
    const auto& cfg = r->model.checkpoint.config;
    out.push_back({{"id", r->id},
                   {"kind", r->model.kind()},
                   {"data", cfg.data.source},
                   {"latent", r->model.latent_dim()},
                   {"epochs", r->model.checkpoint.progress.epoch}});
  }
  return {200, out};
}

ApiReply ServeApi::run_info(const std::string& id) const {
  const ServedRun* r = find(id);
  if (!r) return api_error(404, "unknown run '" + id + "'");
  const auto& m = r->model;
  return {200, json{{"id", r->id},
                    {"kind", m.kind()},
                    {"input_dim", m.input_dim()},
                    {"latent", m.latent_dim()},
                    {"image_shape", m.image_shape()},
                    {"class_names", m.class_names()},
                    {"epochs", m.checkpoint.progress.epoch},
                    {"config", m.checkpoint.config.to_json()}}};
}

ApiReply ServeApi::metrics(const std::string& id) const {
  const ServedRun* r = find(id);
  if (!r) return api_error(404, "unknown run '" + id + "'");
  return {200, read_json_lines(fs::path(r->dir) / "metrics.jsonl")};
}

ApiReply ServeApi::codes(const std::string& id, const std::string& split, const std::string& limit) const {
  ServedRun* r = find(id);
  if (!r) return api_error(404, "unknown run '" + id + "'");
  if (split != "test" && split != "train") return api_error(400, "request: split must be test or train, not '" + split + "'");
  int64_t n = limits_.max_rows;
  if (!limit.empty()) {
    size_t used = 0;
    try {
      n = std::stoll(limit, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != limit.size() || n < 1 || n > limits_.max_rows)
      return api_error(400, "request: limit must be an integer from 1 to " + std::to_string(limits_.max_rows));
  }
  try {
    torch::NoGradGuard no_grad;
    std::lock_guard<std::mutex> hold(r->lock);
    torch::Tensor y;
    torch::Tensor x = r->model.inputs("", split, &y);  // [M, D] model space
    n = std::min<int64_t>(n, x.size(0));
    x = x.slice(0, 0, n);
    if (y.defined()) y = y.slice(0, 0, n);
    json out{{"rows", rows_json(encode_batched(*r->model.model, x, y, 1000))}};
    out["labels"] = nullptr;  // unlabelled data
    if (y.defined()) {
      const torch::Tensor labels = y.cpu().to(torch::kLong).contiguous();
      out["labels"] = std::vector<int64_t>(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + n);
    }
    return {200, out};
  } catch (const InputError& e) {
    return api_error(400, e.what());
  }
}

ApiReply ServeApi::act(const std::string& id, const std::string& action, const std::string& text) const {
  ServedRun* r = find(id);
  if (!r) return api_error(404, "unknown run '" + id + "'");
  if (action != "encode" && action != "decode" && action != "reconstruct" && action != "score" && action != "sample")
    return api_error(404, "unknown action '" + action + "' (encode, decode, reconstruct, score, sample)");
  const json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return api_error(400, "request: the body is not valid JSON");
  try {
    torch::NoGradGuard no_grad;  // grad mode is per thread: every server thread sets it
    if (action == "sample") {
      const json n = body.is_object() ? body.value("n", json()) : json();
      if (!n.is_number_integer() || n.get<int64_t>() < 1 || n.get<int64_t>() > limits_.max_samples)
        return api_error(400, "request: \"n\" must be an integer from 1 to " + std::to_string(limits_.max_samples));
      const json seed = body.value("seed", json(1));
      if (!seed.is_number_integer() || seed.get<int64_t>() < 0)
        return api_error(400, "request: \"seed\" must be a non-negative integer");
      const torch::Tensor labels = labels_of(body, n.get<int64_t>());
      std::lock_guard<std::mutex> hold(r->lock);
      std::lock_guard<std::mutex> seeded(seeded_);
      double model = 0;
      const torch::Tensor x = timed(model, [&] {
        return r->model.sample(n.get<int64_t>(), static_cast<uint64_t>(seed.get<int64_t>()), labels);
      });
      return {200, json{{"rows", rows_json(x)}}, model};
    }
    const torch::Tensor rows = rows_of(body, limits_.max_rows);
    const torch::Tensor labels = labels_of(body, rows.size(0));
    const int64_t want = action == "decode" ? r->model.latent_dim() : r->model.input_dim();
    if (rows.size(1) != want)
      return api_error(400, "request: rows of " + std::to_string(rows.size(1)) + " values, run '" + id +
                                "' " + action + "s rows of " + std::to_string(want));
    std::lock_guard<std::mutex> hold(r->lock);
    const TrainedModel& m = r->model;
    double model = 0;
    if (action == "encode") {
      const torch::Tensor z = timed(model, [&] { return m.encode(rows, labels); });
      return {200, json{{"rows", rows_json(z)}}, model};
    }
    if (action == "decode") {
      const torch::Tensor x = timed(model, [&] { return m.decode(rows, labels); });
      return {200, json{{"rows", rows_json(x)}}, model};
    }
    std::lock_guard<std::mutex> seeded(seeded_);
    if (action == "reconstruct") {
      const torch::Tensor x = timed(model, [&] { return m.reconstruct(rows, labels); });
      return {200, json{{"rows", rows_json(x)}}, model};
    }
    ScoreOptions options;
    options.k = body.value("k", int64_t{100});
    if (options.k < 1 || options.k > 10000) return api_error(400, "request: \"k\" must be from 1 to 10000");
    const SampleScores s = timed(model, [&] { return m.score(rows, options, labels); });
    json out{{"reconstruction_error", values_json(s.reconstruction_error)}};
    if (s.log_likelihood.defined()) out["log_likelihood"] = values_json(s.log_likelihood);
    // "rows": one number per row, the anomaly score `latentkit score` leads with.
    out["rows"] = s.log_likelihood.defined() ? out["log_likelihood"] : out["reconstruction_error"];
    return {200, out, model};
  } catch (const InputError& e) {
    return api_error(400, e.what());
  } catch (const json::exception& e) {
    return api_error(400, std::string("request: ") + e.what());
  }
}

}  // namespace latentkit::cli
