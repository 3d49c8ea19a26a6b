#pragma once
// The JSON API of `latentkit serve`: the runs it was given, each opened once, and the answers to
// requests about them. Kept apart from the HTTP server so that the answers can be tested and
// reasoned about as plain functions of (run, request).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>
#include "latentkit/api/trained_model.h"

namespace latentkit::cli {

struct ServeLimits {
  int64_t max_rows = 10000;      // rows of one encode/decode/reconstruct/score request
  int64_t max_samples = 10000;   // n of one sample request
  // rows x k of one score request: the bound on a request's computation (about 8 s of the
  // reference VAE on this class of machine), so that one client cannot hold a run for minutes.
  int64_t max_importance_samples = 1000000;
};

// An answer: an HTTP status and a JSON body ({"error": "..."} for 4xx), or bytes of another
// type (a PNG) when content_type is set.
struct ApiReply {
  ApiReply(int status_ = 200, nlohmann::json body_ = nullptr, double model_seconds_ = -1)
      : status(status_), body(std::move(body_)), model_seconds(model_seconds_) {}
  int status = 200;
  nlohmann::json body;
  double model_seconds = -1;  // time in the model's computation, when the request ran one
  std::string content_type;   // set for a binary answer in `bytes`
  std::string bytes;
};

// What a request asks for besides its body: ?format=png and ?columns=N of the grid.
struct AnswerForm {
  bool png = false;
  int64_t columns = 0;  // 0: about square
};

// A run being served. TrainedModel's methods are not thread-safe, so each run has its own lock:
// requests to different runs proceed in parallel, requests to one run one at a time. A run that
// a `latentkit train` is still writing is reopened when its checkpoint changes.
struct ServedRun {
  std::string id;   // what requests name it by (never a path)
  std::string dir;  // its directory
  std::mutex lock;  // guards everything below
  TrainedModel model;
  std::filesystem::file_time_type checkpoint_time;
  std::chrono::steady_clock::time_point checked;
  // The run's own splits in model space, loaded on first use: x [N, D], y [N] or undefined.
  struct Split {
    torch::Tensor x, y;
  };
  std::map<std::string, Split> splits;
};

// A table beside the runs (compare.csv), by the id of the directory that held it.
struct ServedTable {
  std::string id;
  std::filesystem::path path;
};

class ServeApi {
 public:
  // `paths`: run directories, directories of runs, or compare's output (its runs/ and
  // compare.csv). Throws InputError naming a path that holds no run.
  ServeApi(const std::vector<std::string>& paths, const ExecutionOptions& execution, ServeLimits limits);

  const std::vector<std::unique_ptr<ServedRun>>& runs() const { return runs_; }

  ApiReply list_runs() const;                                  // GET /api/runs
  ApiReply run_info(const std::string& id) const;              // GET /api/runs/{id}
  ApiReply metrics(const std::string& id) const;               // GET /api/runs/{id}/metrics
  ApiReply tables() const;                                     // GET /api/tables
  // GET /api/runs/{id}/codes?split=test|train&limit=N: the first N codes of the split, with labels.
  ApiReply codes(const std::string& id, const std::string& split, const std::string& limit) const;
  // GET /api/runs/{id}/examples?split=S&indices=I,J,...: those rows of the split as raw data,
  // their reconstructions, codes and labels.
  ApiReply examples(const std::string& id, const std::string& split, const std::string& indices) const;
  // GET /api/runs/{id}/pictures and /pictures/{name}: the PNG pictures training left in the run.
  ApiReply pictures(const std::string& id) const;
  ApiReply picture(const std::string& id, const std::string& name) const;
  // POST /api/runs/{id}/{action}, action in encode, decode, reconstruct, score, sample.
  ApiReply act(const std::string& id, const std::string& action, const std::string& body,
               const AnswerForm& form = {}) const;

 private:
  ServedRun* find(const std::string& id) const;  // null for an unknown id
  // Locks `run`, first reopening it when its checkpoint is newer than the one served.
  std::unique_lock<std::mutex> hold(ServedRun& run) const;
  const ServedRun::Split& split_of(ServedRun& run, const std::string& split) const;  // run locked
  ApiReply answer_rows(const ServedRun& run, const torch::Tensor& raw, const AnswerForm& form,
                       double model_seconds) const;

  std::vector<std::unique_ptr<ServedRun>> runs_;
  std::vector<ServedTable> tables_;
  ExecutionOptions execution_;
  ServeLimits limits_;
  // Sampling, scoring and reconstructing seed LibTorch's one CPU generator for the call (as the
  // CLI does, so answers equal its output): those calls take this lock too, across all runs.
  mutable std::mutex seeded_;
};

ApiReply api_error(int status, const std::string& message);

}  // namespace latentkit::cli
