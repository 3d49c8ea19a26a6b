#pragma once
// SIGINT / SIGTERM handling for training: the first signal asks the trainer to stop at the next
// batch boundary (it then saves a checkpoint and exits cleanly); a second one exits at once.

namespace latentkit {

class StopSignal {
 public:
  StopSignal();   // installs the handlers
  ~StopSignal();  // restores the previous ones
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  static bool requested();
  static int signal_number();  // the signal that asked, 0 if none
};

}  // namespace latentkit
