// The answers of `latentkit serve`'s JSON API (see serve_api.h and docs/SERVE.md).
#include "serve_api.h"

#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <iterator>

#include <sys/stat.h>

#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/eval/batched.h"
#include "latentkit/util/rng.h"
#include "latentkit/viz/image_grid.h"
#include "serve_json.h"

namespace latentkit::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Runs `call` (a model computation) and adds its duration to `seconds`.
template <class F>
auto timed(double& seconds, F&& call) {
  const auto start = std::chrono::steady_clock::now();
  auto result = call();
  seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

// The PNG pictures directly in a run directory (samples.png, reconstructions.png, density.png,
// ...): name -> size in bytes and modification time in ms since 1970.
std::map<std::string, std::pair<uintmax_t, int64_t>> pictures_in(const fs::path& dir) {
  std::map<std::string, std::pair<uintmax_t, int64_t>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec) || e.path().extension() != ".png") continue;
    struct stat st {};
    if (::stat(e.path().c_str(), &st) != 0) continue;
    const int64_t ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    out[e.path().filename().string()] = {static_cast<uintmax_t>(st.st_size), ms};
  }
  return out;
}

constexpr uintmax_t kMaxPictureBytes = uintmax_t{64} << 20;

}  // namespace

ApiReply api_error(int status, const std::string& message) {
  return {status, json{{"error", message}}};
}

ApiReply ServeApi::list_runs() const {
  json out = json::array();
  for (const auto& r : runs_) {
    const auto held = hold(*r);
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
  ServedRun* r = find(id);
  if (!r) return api_error(404, "unknown run '" + id + "'");
  const auto held = hold(*r);
  const auto& m = r->model;
  const KindInfo& kind = kind_info(m.kind(), "run " + r->id);
  return {200, json{{"id", r->id},
                    {"kind", m.kind()},
                    {"input_dim", m.input_dim()},
                    {"latent", m.latent_dim()},
                    {"image_shape", m.image_shape()},
                    {"class_names", m.class_names()},
                    {"conditional", kind.conditional},
                    {"has_prior", kind.has_prior},
                    {"has_log_likelihood", m.model->has_log_likelihood()},
                    {"has_temperature", kind.has_temperature},
                    {"epochs", m.checkpoint.progress.epoch},
                    {"config", m.checkpoint.config.to_json()}}};
}

ApiReply ServeApi::metrics(const std::string& id) const {
  const ServedRun* r = find(id);
  if (!r) return api_error(404, "unknown run '" + id + "'");
  return {200, read_json_lines(fs::path(r->dir) / "metrics.jsonl")};
}

ApiReply ServeApi::tables() const {
  json out = json::array();
  for (const auto& t : tables_) {
    json table = read_csv_table(t.path);
    table["id"] = t.id;
    out.push_back(std::move(table));
  }
  return {200, out};
}

ApiReply ServeApi::codes(const std::string& id, const std::string& split, const std::string& limit) const {
  ServedRun* r = find(id);
  if (!r) return api_error(404, "unknown run '" + id + "'");
  if (split != "test" && split != "train") return api_error(400, "request: split must be test or train, not '" + split + "'");
  try {
    int64_t n = count_of("limit", limit, limits_.max_rows, limits_.max_rows);
    torch::NoGradGuard no_grad;
    const auto held = hold(*r);
    const ServedRun::Split& s = split_of(*r, split);
    n = std::min<int64_t>(n, s.x.size(0));
    const torch::Tensor x = s.x.slice(0, 0, n), y = s.y.defined() ? s.y.slice(0, 0, n) : torch::Tensor();
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

ApiReply ServeApi::examples(const std::string& id, const std::string& split, const std::string& indices) const {
  ServedRun* r = find(id);
  if (!r) return api_error(404, "unknown run '" + id + "'");
  if (split != "test" && split != "train") return api_error(400, "request: split must be test or train, not '" + split + "'");
  try {
    torch::NoGradGuard no_grad;
    const auto held = hold(*r);
    const ServedRun::Split& s = split_of(*r, split);
    const std::vector<int64_t> picked = indices_of(indices, s.x.size(0), limits_.max_rows);
    const torch::Tensor at = torch::tensor(picked, torch::kLong).to(s.x.device());
    const torch::Tensor x = s.x.index_select(0, at);                                   // [K, D]
    const torch::Tensor y = s.y.defined() ? s.y.index_select(0, at) : torch::Tensor();  // [K]
    const TrainedModel& m = r->model;
    std::lock_guard<std::mutex> seeded(seeded_);
    ScopedSeed seed(m.device, 1);  // as `latentkit reconstruct` by default
    json out{{"indices", picked},
             {"inputs", rows_json(m.to_raw(x))},
             {"reconstructions", rows_json(m.to_raw(m.model->reconstruct(x, y)))},
             {"codes", rows_json(encode_batched(*m.model, x, y, 1000))},
             {"labels", nullptr}};
    if (y.defined()) out["labels"] = values_json(y.to(torch::kLong));
    return {200, out};
  } catch (const InputError& e) {
    return api_error(400, e.what());
  }
}

ApiReply ServeApi::pictures(const std::string& id) const {
  const ServedRun* r = find(id);
  if (!r) return api_error(404, "unknown run '" + id + "'");
  json out = json::array();
  for (const auto& [name, info] : pictures_in(r->dir))
    out.push_back({{"name", name}, {"bytes", info.first}, {"modified_ms", info.second}});
  return {200, out};
}

ApiReply ServeApi::picture(const std::string& id, const std::string& name) const {
  const ServedRun* r = find(id);
  if (!r) return api_error(404, "unknown run '" + id + "'");
  // Only a name the listing shows: no path of the client's reaches the file system.
  const auto listed = pictures_in(r->dir);
  const auto it = listed.find(name);
  if (it == listed.end()) return api_error(404, "run '" + id + "' has no picture '" + name + "'");
  if (it->second.first > kMaxPictureBytes) return api_error(500, "picture '" + name + "' is larger than 64 MiB");
  std::ifstream in(fs::path(r->dir) / name, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) return api_error(500, "picture '" + name + "' cannot be read");
  ApiReply reply;
  reply.content_type = "image/png";
  reply.bytes = std::move(bytes);
  return reply;
}

// raw: [N, D] -> {"rows": ...}, or a PNG grid of the images for ?format=png.
ApiReply ServeApi::answer_rows(const ServedRun& run, const torch::Tensor& raw, const AnswerForm& form,
                               double model_seconds) const {
  if (!form.png) return {200, json{{"rows", rows_json(raw)}}, model_seconds};
  const auto& shape = run.model.image_shape();
  if (shape.empty()) return api_error(400, "request: run '" + run.id + "' models table rows, not images: no PNG");
  const int64_t n = raw.size(0);
  int64_t columns = form.columns;
  if (columns < 1) columns = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const auto png = image_grid_png(raw.clamp(0, 255) / 255.0, shape, std::min(columns, n), 2, "request");
  ApiReply reply;
  reply.model_seconds = model_seconds;
  reply.content_type = "image/png";
  reply.bytes.assign(png.begin(), png.end());
  return reply;
}

ApiReply ServeApi::act(const std::string& id, const std::string& action, const std::string& text,
                       const AnswerForm& form) const {
  ServedRun* r = find(id);
  if (!r) return api_error(404, "unknown run '" + id + "'");
  if (action != "encode" && action != "decode" && action != "reconstruct" && action != "score" && action != "sample")
    return api_error(404, "unknown action '" + action + "' (encode, decode, reconstruct, score, sample)");
  if (form.png && (action == "encode" || action == "score"))
    return api_error(400, "request: format=png answers decode, reconstruct and sample, not " + action);
  const json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return api_error(400, "request: the body is not valid JSON");
  if (!body.is_object()) return api_error(400, "request: the body must be a JSON object");
  try {
    torch::NoGradGuard no_grad;  // grad mode is per thread: every server thread sets it
    double model = 0;
    if (action == "sample") {
      const json n = body.value("n", json());
      if (!n.is_number_integer() || n.get<int64_t>() < 1 || n.get<int64_t>() > limits_.max_samples)
        return api_error(400, "request: \"n\" must be an integer from 1 to " + std::to_string(limits_.max_samples));
      const int64_t count = n.get<int64_t>();
      const json seed = body.value("seed", json(1));
      if (!seed.is_number_integer() || seed.get<int64_t>() < 0)
        return api_error(400, "request: \"seed\" must be a non-negative integer");
      const json temperature = body.value("temperature", json(1.0));
      if (!temperature.is_number() || !(temperature.get<double>() > 0) || temperature.get<double>() > 100)
        return api_error(400, "request: \"temperature\" must be a number in (0, 100]");
      torch::Tensor labels = labels_of(body, count);
      if (body.contains("label")) {
        if (!body["label"].is_number_integer()) return api_error(400, "request: \"label\" must be an integer");
        labels = torch::full({count}, body["label"].get<int64_t>(), torch::kLong);
      }
      const auto held = hold(*r);
      std::lock_guard<std::mutex> seeded(seeded_);
      const torch::Tensor x = timed(model, [&] {
        return r->model.sample(count, static_cast<uint64_t>(seed.get<int64_t>()), labels, temperature.get<double>());
      });
      return answer_rows(*r, x, form, model);
    }
    const torch::Tensor rows = rows_of(body, limits_.max_rows);
    const torch::Tensor labels = labels_of(body, rows.size(0));
    const auto held = hold(*r);
    const TrainedModel& m = r->model;
    const int64_t want = action == "decode" ? m.latent_dim() : m.input_dim();
    if (rows.size(1) != want)
      return api_error(400, "request: rows of " + std::to_string(rows.size(1)) + " values, run '" + id +
                                "' " + action + "s rows of " + std::to_string(want));
    if (action == "encode") return {200, json{{"rows", rows_json(timed(model, [&] { return m.encode(rows, labels); }))}}, model};
    if (action == "decode") return answer_rows(*r, timed(model, [&] { return m.decode(rows, labels); }), form, model);
    std::lock_guard<std::mutex> seeded(seeded_);
    if (action == "reconstruct")
      return answer_rows(*r, timed(model, [&] { return m.reconstruct(rows, labels); }), form, model);
    ScoreOptions options;
    const json k = body.value("k", json(100));
    if (!k.is_number_integer() || k.get<int64_t>() < 1 || k.get<int64_t>() > 10000)
      return api_error(400, "request: \"k\" must be an integer from 1 to 10000");
    options.k = k.get<int64_t>();
    if (rows.size(0) * options.k > limits_.max_importance_samples)
      return api_error(400, "request: " + std::to_string(rows.size(0)) + " rows x k " + std::to_string(options.k) +
                                " importance samples is more than one request may compute (" +
                                std::to_string(limits_.max_importance_samples) + "): send fewer rows or a smaller k");
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
