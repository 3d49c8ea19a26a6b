#include "latentkit/train/progress.h"

#include <unistd.h>

#include <cstdio>

namespace latentkit {

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kRedrawInterval = std::chrono::milliseconds(200);
constexpr int kBarWidth = 28;
}  // namespace

ProgressBar::ProgressBar(int64_t epoch, int64_t epochs, int64_t total_batches, bool enabled)
    : epoch_(epoch),
      epochs_(epochs),
      total_(total_batches),
      active_(enabled && ::isatty(STDERR_FILENO)),
      start_(Clock::now()),
      last_draw_(start_ - kRedrawInterval) {}

bool ProgressBar::wants_update() const {
  return active_ && Clock::now() - last_draw_ >= kRedrawInterval;
}

void ProgressBar::update(int64_t done, int64_t samples, double loss) {
  if (!active_) return;
  last_draw_ = Clock::now();
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = elapsed > 0 ? samples / elapsed : 0;
  const double eta = done > 0 ? elapsed * (total_ - done) / done : 0;
  const int filled = total_ > 0 ? static_cast<int>(kBarWidth * done / total_) : 0;
  std::fprintf(stderr, "\repoch %lld/%lld [", static_cast<long long>(epoch_),
               static_cast<long long>(epochs_));
  for (int i = 0; i < kBarWidth; ++i) std::fputc(i < filled ? '#' : '.', stderr);
  std::fprintf(stderr, "] %lld/%lld  %.0f samples/s  ETA %.1fs  loss %.4f ",
               static_cast<long long>(done), static_cast<long long>(total_), rate, eta, loss);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!active_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace latentkit
