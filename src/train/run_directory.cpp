#include "latentkit/train/run_directory.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "latentkit/error.h"

namespace latentkit {

namespace fs = std::filesystem;

namespace {

// The pid of "<name>.tmp.<pid>", or -1 when `name` is not such a temporary.
long temporary_pid(const std::string& name) {
  const auto at = name.rfind(".tmp.");
  if (at == std::string::npos || at == 0) return -1;
  const std::string digits = name.substr(at + 5);
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::stol(digits);
}

bool alive(long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

}  // namespace

std::vector<std::string> run_files_in(const std::string& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return found;
  // An empty checkpoints/ is no run: nothing was trained into it.
  for (const char* name : {"config.json", "metrics.jsonl", "checkpoints/last.pt", "checkpoints/best.pt"})
    if (fs::exists(fs::path(dir) / name, ec)) found.push_back(name);
  return found;
}

std::string move_run_aside(const std::string& dir) {
  fs::path from = fs::path(dir);
  while (from.has_parent_path() && from.filename().empty()) from = from.parent_path();  // "runs/x/"
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  const std::string base = from.string() + ".old-" + stamp;
  std::string to = base;
  std::error_code ec;
  for (int n = 2; fs::exists(to, ec) || fs::is_symlink(to, ec); ++n) to = base + "-" + std::to_string(n);
  fs::rename(from, to, ec);
  if (ec) fail(dir, "cannot move the old run aside to " + to + ": " + ec.message());
  return to;
}

void create_run_directory(const std::string& dir) {
  std::error_code ec;
  const fs::file_status s = fs::status(dir, ec);
  if (fs::exists(s) && !fs::is_directory(s)) fail(dir, "is not a directory (--out names the run directory)");
  // Walk up to the first part that exists: a file there means the path lies under a file.
  for (fs::path p = fs::path(dir).parent_path(); !p.empty(); p = p.parent_path()) {
    const fs::file_status ps = fs::status(p, ec);
    if (fs::exists(ps)) {
      if (!fs::is_directory(ps)) fail(dir, "cannot be created: " + p.string() + " is not a directory");
      break;
    }
    if (p == p.parent_path()) break;
  }
  fs::create_directories(dir, ec);
  if (ec) fail(dir, "cannot create the run directory: " + ec.message());
}

std::vector<std::string> remove_stale_temporaries(const std::string& dir) {
  std::vector<std::string> removed;
  for (const fs::path where : {fs::path(dir), fs::path(dir) / "checkpoints"}) {
    std::error_code ec;
    for (fs::directory_iterator it(where, ec), end; !ec && it != end; it.increment(ec)) {
      const long pid = temporary_pid(it->path().filename().string());
      if (pid < 0 || !it->is_regular_file(ec)) continue;
      if (pid != ::getpid() && alive(pid)) continue;  // another command may be writing it now
      std::error_code gone;
      if (fs::remove(it->path(), gone)) removed.push_back(it->path().string());
    }
  }
  return removed;
}

}  // namespace latentkit
