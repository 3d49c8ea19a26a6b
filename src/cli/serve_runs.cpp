// The runs `latentkit serve` was given: found on disk, opened once, reopened when a training
// run still writing into them saves a new checkpoint, and their data loaded on first use.
#include <torch/torch.h>

#include <algorithm>

#include "latentkit/error.h"
#include "serve_api.h"

namespace latentkit::cli {

namespace fs = std::filesystem;

namespace {

fs::path checkpoint_of(const fs::path& dir) { return dir / "checkpoints" / "last.pt"; }

bool holds_run(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(checkpoint_of(dir), ec);
}

// The runs directly inside `dir`, sorted by name.
std::vector<fs::path> runs_inside(const fs::path& dir) {
  std::vector<fs::path> inside;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory(ec) && holds_run(e.path())) inside.push_back(e.path());
  std::sort(inside.begin(), inside.end());
  return inside;
}

// A directory's name as a run id (the parent's for "." and "dir/").
std::string name_of(const fs::path& dir) {
  std::string id = dir.lexically_normal().filename().string();
  if (id.empty() || id == ".") id = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  return id;
}

fs::file_time_type modified(const fs::path& path) {
  std::error_code ec;
  const auto t = fs::last_write_time(path, ec);
  return ec ? fs::file_time_type::min() : t;
}

// How often a run's checkpoint is looked at for a newer one.
constexpr auto kRecheck = std::chrono::seconds(1);

}  // namespace

ServeApi::ServeApi(const std::vector<std::string>& paths, const ExecutionOptions& execution, ServeLimits limits)
    : execution_(execution), limits_(limits) {
  std::vector<fs::path> dirs;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) fail(p, "not a directory (give run directories or a directory of runs)");
    if (holds_run(p)) {
      dirs.emplace_back(p);
      continue;
    }
    // compare's output: its runs under runs/, its table beside them.
    std::vector<fs::path> inside = runs_inside(p);
    if (inside.empty()) inside = runs_inside(fs::path(p) / "runs");
    if (inside.empty()) fail(p, "holds no run (no checkpoints/last.pt in it, in its subdirectories or in runs/)");
    dirs.insert(dirs.end(), inside.begin(), inside.end());
    if (fs::is_regular_file(fs::path(p) / "compare.csv", ec)) tables_.push_back({name_of(p), fs::path(p) / "compare.csv"});
  }
  std::map<std::string, int> taken;
  for (const auto& dir : dirs) {
    auto run = std::make_unique<ServedRun>();
    std::string id = name_of(dir);
    if (int n = taken[id]++; n > 0) id += "-" + std::to_string(n + 1);  // two runs of one name
    run->id = id;
    run->dir = dir.string();
    run->checkpoint_time = modified(checkpoint_of(dir));
    run->model = TrainedModel::open(dir.string(), execution);
    run->checked = std::chrono::steady_clock::now();
    runs_.push_back(std::move(run));
  }
}

std::unique_lock<std::mutex> ServeApi::hold(ServedRun& run) const {
  std::unique_lock<std::mutex> held(run.lock);
  const auto now = std::chrono::steady_clock::now();
  if (now - run.checked < kRecheck) return held;
  run.checked = now;
  const fs::path ckpt = checkpoint_of(run.dir);
  const auto t = modified(ckpt);
  if (t == run.checkpoint_time || t == fs::file_time_type::min()) return held;
  // A training run saved a newer checkpoint (written whole, then renamed into place). When it
  // cannot be opened, the model served so far stays, and the next look tries again.
  try {
    TrainedModel fresh = TrainedModel::open(run.dir, execution_);
    const bool same_data = fresh.checkpoint.config.data.to_json() == run.model.checkpoint.config.data.to_json();
    run.model = std::move(fresh);
    run.checkpoint_time = t;
    if (!same_data) run.splits.clear();
  } catch (const std::exception&) {
  }
  return held;
}

ServedRun* ServeApi::find(const std::string& id) const {
  for (const auto& r : runs_)
    if (r->id == id) return r.get();
  return nullptr;
}

const ServedRun::Split& ServeApi::split_of(ServedRun& run, const std::string& split) const {
  auto it = run.splits.find(split);
  if (it != run.splits.end()) return it->second;
  ServedRun::Split s;
  s.x = run.model.inputs("", split, &s.y);  // [N, D] model space
  return run.splits.emplace(split, std::move(s)).first->second;
}

}  // namespace latentkit::cli
