// torchrun's environment variables (see launch_env.h).
#include "latentkit/dist/launch_env.h"

#include <cstdlib>

#include "latentkit/error.h"

namespace latentkit {

namespace {

std::optional<std::string> variable(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  return std::string(v);
}

int integer(const char* name, int lowest, int fallback, bool required) {
  auto v = variable(name);
  if (!v) {
    if (required) fail(name, "is not set (the launcher sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT together)");
    return fallback;
  }
  try {
    size_t used = 0;
    const int n = std::stoi(*v, &used);
    if (used != v->size() || n < lowest) throw std::invalid_argument("");
    return n;
  } catch (const std::exception&) {
    fail(name, "must be an integer of at least " + std::to_string(lowest) + ", not '" + *v + "'");
  }
}

}  // namespace

std::optional<LaunchEnv> LaunchEnv::from_environment() {
  if (!variable("WORLD_SIZE")) return std::nullopt;
  LaunchEnv e;
  e.world_size = integer("WORLD_SIZE", 1, 1, true);
  e.rank = integer("RANK", 0, 0, true);
  if (e.rank >= e.world_size)
    fail("RANK", std::to_string(e.rank) + " is not below WORLD_SIZE " + std::to_string(e.world_size));
  e.local_rank = integer("LOCAL_RANK", 0, e.rank, false);
  e.local_world_size = integer("LOCAL_WORLD_SIZE", 1, e.world_size, false);
  e.restart_count = integer("TORCHELASTIC_RESTART_COUNT", 0, 0, false);
  e.agent_store = variable("TORCHELASTIC_USE_AGENT_STORE").value_or("") == "True";
  e.run_id = variable("TORCHELASTIC_RUN_ID").value_or("");
  if (e.world_size > 1) {
    e.master_addr = variable("MASTER_ADDR").value_or("");
    if (e.master_addr.empty()) fail("MASTER_ADDR", "is not set (the host of rank 0, or of torchrun's agent)");
    e.master_port = integer("MASTER_PORT", 1, 0, true);
    if (e.master_port > 65535) fail("MASTER_PORT", std::to_string(e.master_port) + " is not a TCP port");
  }
  return e;
}

std::string LaunchEnv::who() const {
  return "rank " + std::to_string(rank) + " of " + std::to_string(world_size);
}

}  // namespace latentkit
