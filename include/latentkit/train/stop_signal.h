#pragma once
// SIGINT / SIGTERM handling for training: the first signal asks the trainer to stop at the next
// batch boundary (it then saves a checkpoint and exits with status 130). Later signals are
// counted and answered with one line on stderr, but do not stop the process: a repeated Ctrl-C
// must not kill it while it writes that checkpoint (kill -9 still does, and the run directory
// stays consistent then too).
//
// Once a stop was requested the handler stays installed after the StopSignal ends, so that a
// signal arriving on the way out cannot kill the process either; the caller is expected to
// exit. Without a stop the previous handlers come back.

namespace latentkit {

class StopSignal {
 public:
  StopSignal();   // installs the handlers
  ~StopSignal();  // restores the previous ones unless a stop was requested
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  static bool requested();
  static int signal_number();  // the signal that asked, 0 if none
  static int repeats();        // signals received after the first
};

}  // namespace latentkit
