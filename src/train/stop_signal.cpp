#include "latentkit/train/stop_signal.h"

#include <csignal>

namespace latentkit {

namespace {
volatile std::sig_atomic_t g_signal = 0;
using Handler = void (*)(int);
Handler g_previous_int = SIG_DFL;
Handler g_previous_term = SIG_DFL;

extern "C" void on_stop_signal(int sig) {
  if (g_signal != 0) {  // second signal: the user insists
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_signal = sig;
}
}  // namespace

StopSignal::StopSignal() {
  g_signal = 0;
  g_previous_int = std::signal(SIGINT, on_stop_signal);
  g_previous_term = std::signal(SIGTERM, on_stop_signal);
}

StopSignal::~StopSignal() {
  std::signal(SIGINT, g_previous_int);
  std::signal(SIGTERM, g_previous_term);
}

bool StopSignal::requested() { return g_signal != 0; }
int StopSignal::signal_number() { return g_signal; }

}  // namespace latentkit
