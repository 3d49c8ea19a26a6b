#pragma once
// `latentkit train --nproc N`: starts N ranks of this program on this machine under torchrun's
// environment contract (dist/launch_env.h), for users without torchrun, and waits for them.
#include <chrono>
#include <string>
#include <vector>

namespace latentkit {

// Runs `args` (argv without the program and without --nproc) as ranks 0 .. nproc - 1, rank 0
// hosting the store on a free local port. A SIGINT or SIGTERM to this process is passed on to
// every rank once (they stop together at a batch boundary). When a rank fails, the others get
// `grace` to notice and exit before they are terminated. Returns the exit status: 0 when every
// rank succeeded, else the first failing rank's (128 + signal for a killed one).
int run_local_ranks(int nproc, const std::vector<std::string>& args, std::chrono::milliseconds grace);

}  // namespace latentkit
