#include "latentkit/train/stop_signal.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace latentkit {

namespace {
volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_repeats = 0;
using Handler = void (*)(int);
Handler g_previous_int = SIG_DFL;
Handler g_previous_term = SIG_DFL;

extern "C" void on_stop_signal(int sig) {
  if (g_signal == 0) {
    g_signal = sig;
    return;
  }
  // The user insists: say why nothing happens at once (write(2) is async-signal-safe, stdio is
  // not), and keep the checkpoint being written whole.
  const int saved = errno;
  g_repeats = g_repeats + 1;
  static const char msg[] =
      "latentkit: already stopping: the checkpoint is being saved, then training exits "
      "(kill -9 stops at once; the next --resume starts from the last complete checkpoint)\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
  errno = saved;
}
}  // namespace

StopSignal::StopSignal() {
  g_signal = 0;
  g_repeats = 0;
  g_previous_int = std::signal(SIGINT, on_stop_signal);
  g_previous_term = std::signal(SIGTERM, on_stop_signal);
}

StopSignal::~StopSignal() {
  if (g_signal != 0) return;  // stopping: the process is on its way out (see the header)
  std::signal(SIGINT, g_previous_int);
  std::signal(SIGTERM, g_previous_term);
}

bool StopSignal::requested() { return g_signal != 0; }
int StopSignal::signal_number() { return g_signal; }
int StopSignal::repeats() { return g_repeats; }

}  // namespace latentkit
