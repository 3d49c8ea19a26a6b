#pragma once
// The JSON API of `latentkit serve`: the runs it was given, each opened once, and the answers to
// requests about them. Kept apart from the HTTP server so that the answers can be tested and
// reasoned about as plain functions of (run, request body).
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>
#include "latentkit/api/trained_model.h"

namespace latentkit::cli {

struct ServeLimits {
  int64_t max_rows = 10000;          // rows of one encode/decode/reconstruct/score request
  int64_t max_samples = 10000;       // n of one sample request
};

// An answer: an HTTP status and a JSON body ({"error": "..."} for 4xx).
struct ApiReply {
  int status = 200;
  nlohmann::json body;
  double model_seconds = -1;  // time in the model's computation, when the request ran one
};

// A run being served. TrainedModel's methods are not thread-safe, so each run has its own lock:
// encode and decode requests to different runs proceed in parallel, requests to one run one at a
// time.
struct ServedRun {
  std::string id;   // what requests name it by (never a path)
  std::string dir;  // its directory
  TrainedModel model;
  std::mutex lock;
};

class ServeApi {
 public:
  // `paths`: run directories, or directories of runs (such as compare's output), expanded one
  // level. Throws InputError naming a path that holds no run.
  ServeApi(const std::vector<std::string>& paths, const ExecutionOptions& execution, ServeLimits limits);

  const std::vector<std::unique_ptr<ServedRun>>& runs() const { return runs_; }

  ApiReply list_runs() const;                                  // GET /api/runs
  ApiReply run_info(const std::string& id) const;              // GET /api/runs/{id}
  ApiReply metrics(const std::string& id) const;               // GET /api/runs/{id}/metrics
  // GET /api/runs/{id}/codes?split=test|train&limit=N: the first N codes of the split, with labels.
  ApiReply codes(const std::string& id, const std::string& split, const std::string& limit) const;
  // POST /api/runs/{id}/{action}, action in encode, decode, reconstruct, score, sample.
  ApiReply act(const std::string& id, const std::string& action, const std::string& body) const;

 private:
  ServedRun* find(const std::string& id) const;
  std::vector<std::unique_ptr<ServedRun>> runs_;
  ServeLimits limits_;
  // Sampling, scoring and reconstructing seed LibTorch's one CPU generator for the call (as the
  // CLI does, so answers equal its output): those calls take this lock too, across all runs.
  mutable std::mutex seeded_;
};

ApiReply api_error(int status, const std::string& message);

}  // namespace latentkit::cli
