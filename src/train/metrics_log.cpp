#include "latentkit/train/metrics_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "latentkit/error.h"
#include "latentkit/util/atomic_file.h"

namespace latentkit {

using nlohmann::json;

namespace {

// The epoch of a metrics line, or -1 when the line is no JSON object with an integer "epoch" (a
// line torn by a kill mid-write is not).
int64_t epoch_of(const std::string& line) {
  const json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("epoch") || !j["epoch"].is_number_integer()) return -1;
  return j["epoch"].get<int64_t>();
}

}  // namespace

void append_metrics_line(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, std::string("cannot append metrics: ") + std::strerror(errno));
  // One write: a kill lands before or after it, never inside a line (a full disk can still
  // leave a short one, which the next resume drops).
  const std::string text = line + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const std::string why = ok ? "" : std::strerror(errno);
  ::close(fd);
  if (!ok) fail(path, "cannot append metrics: " + why);
}

MetricsRepair repair_metrics_log(const std::string& path, int64_t epoch, const std::string& carried) {
  MetricsRepair repair;
  std::string kept;
  int64_t last = 0;
  bool whole = true;  // the file ends in a newline (a torn last line does not)
  {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      whole = !in.eof();
      if (line.empty()) continue;
      const int64_t e = epoch_of(line);
      if (e <= last || e > epoch || !whole) {
        ++repair.dropped;
        continue;
      }
      kept += line + "\n";
      last = e;
    }
  }
  if (last < epoch && !carried.empty() && epoch_of(carried) == epoch) {
    kept += carried + "\n";
    repair.restored = true;
  }
  if (repair.changed()) write_file_atomic(path, kept);
  return repair;
}

}  // namespace latentkit
