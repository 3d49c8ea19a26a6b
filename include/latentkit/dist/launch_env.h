#pragma once
// The environment contract of torchrun (TorchElastic), which `train --nproc` follows too: each
// rank learns who it is and where the group meets from variables. Without them a process trains
// alone.
#include <optional>
#include <string>

namespace latentkit {

struct LaunchEnv {
  int rank = 0;               // RANK: 0 .. world_size - 1, over every machine
  int world_size = 1;         // WORLD_SIZE
  int local_rank = 0;         // LOCAL_RANK: the rank on this machine
  int local_world_size = 1;   // LOCAL_WORLD_SIZE: ranks on this machine
  std::string master_addr;    // MASTER_ADDR: the host of the group's TCPStore
  int master_port = 0;        // MASTER_PORT
  int restart_count = 0;      // TORCHELASTIC_RESTART_COUNT: times torchrun restarted the group
  bool agent_store = false;   // TORCHELASTIC_USE_AGENT_STORE: the agent hosts the store
  std::string run_id;         // TORCHELASTIC_RUN_ID

  // The variables of this process, or nullopt when WORLD_SIZE is unset (a process on its own).
  // Throws InputError naming the variable when one is malformed or missing (RANK without
  // MASTER_ADDR, a rank outside 0 .. WORLD_SIZE - 1, ...).
  static std::optional<LaunchEnv> from_environment();
  // "rank 1 of 2"
  std::string who() const;
};

}  // namespace latentkit
