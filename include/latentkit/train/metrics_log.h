#pragma once
// metrics.jsonl, the run's log of one JSON object per epoch, kept consistent with the checkpoint
// across a kill at any instant.
//
// The trainer appends an epoch's line (and fsyncs it) before it commits the checkpoint of that
// epoch, and the checkpoint carries the line too. So after a kill the log is never behind the
// checkpoint; it may be one line ahead, or end in a torn line. Resuming calls repair_metrics_log
// with the checkpoint's epoch, which brings the log back to exactly epochs 1..epoch.
#include <cstdint>
#include <string>

namespace latentkit {

// Appends `line` and a newline in one write and flushes it to the disk.
void append_metrics_line(const std::string& path, const std::string& line);

struct MetricsRepair {
  int64_t dropped = 0;   // lines removed: torn, not JSON, beyond `epoch`, or out of order
  bool restored = false; // the line of `epoch` was missing and came from the checkpoint
  bool changed() const { return dropped > 0 || restored; }
};

// Keeps the lines of epochs 1..epoch in increasing order (the first of each epoch), appends
// `carried` (the checkpoint's copy of the line of `epoch`, may be empty) when that epoch's line is
// missing, and rewrites the file atomically when anything changed. A missing file counts as empty.
MetricsRepair repair_metrics_log(const std::string& path, int64_t epoch, const std::string& carried);

}  // namespace latentkit
