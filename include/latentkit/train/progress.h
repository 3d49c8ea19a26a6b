#pragma once
// Training progress: a live bar (batches, samples/s, ETA, loss) on a terminal, and nothing but the
// per-epoch summary line otherwise (logs stay readable).
#include <chrono>
#include <cstdint>
#include <string>

namespace latentkit {

class ProgressBar {
 public:
  // Draws only when stderr is a terminal and `enabled`.
  ProgressBar(int64_t epoch, int64_t epochs, int64_t total_batches, bool enabled);
  bool wants_update() const;  // true at most a few times a second
  void update(int64_t batches_done, int64_t samples_done, double loss);
  void finish();              // clears the bar's line

 private:
  int64_t epoch_, epochs_, total_;
  bool active_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace latentkit
