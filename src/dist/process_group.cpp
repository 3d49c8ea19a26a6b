// The Gloo process group (see process_group.h): the one translation unit with c10d's headers.
#include "latentkit/dist/process_group.h"

#include <thread>

#include "latentkit/error.h"
#include "latentkit_distributed.h"  // LATENTKIT_HAVE_GLOO, from CMake

#if LATENTKIT_HAVE_GLOO
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace latentkit {

std::vector<std::string> distributed_backends() {
#if LATENTKIT_HAVE_GLOO
  return {"gloo"};
#else
  return {};
#endif
}

namespace {

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

#if LATENTKIT_HAVE_GLOO

struct ProcessGroup::State {
  LaunchEnv env;
  std::chrono::milliseconds timeout;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;

  // After a collective failed: every surviving rank marks itself alive in the store and, after
  // a short wait, the ranks without a mark are the lost ones. Bounded: the store's own timeout
  // is cut to a few seconds first.
  [[noreturn]] void lost(const std::string& operation, const std::string& reason) {
    std::string lost_ranks;
    try {
      store->setTimeout(std::chrono::seconds(3));
      store->set("latentkit/alive/" + std::to_string(env.rank), std::vector<uint8_t>{1});
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      for (int r = 0; r < env.world_size; ++r)
        if (r != env.rank && !store->check({"latentkit/alive/" + std::to_string(r)}))
          lost_ranks += (lost_ranks.empty() ? "" : ", ") + std::to_string(r);
    } catch (const std::exception&) {
      // The store is gone with its host.
      lost_ranks = env.agent_store ? "" : "0 (the host of the group's store)";
    }
    const std::string who = lost_ranks.empty()
                                ? "the group failed"
                                : (lost_ranks.find(',') == std::string::npos ? "rank " : "ranks ") +
                                      lost_ranks + " of " + std::to_string(env.world_size) +
                                      " stopped answering";
    throw GroupError(who + " during " + operation + " (seen by " + env.who() + ", timeout " +
                     std::to_string(timeout.count() / 1000.0).substr(0, 5) + " s): " + first_line(reason));
  }

  void wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& operation) {
    try {
      work->wait(timeout);
    } catch (const std::exception& e) {
      lost(operation, e.what());
    }
  }
};

namespace {

class GlooPending : public ProcessGroup::Pending {
 public:
  GlooPending(ProcessGroup::State* state, c10::intrusive_ptr<c10d::Work> work)
      : state_(state), work_(std::move(work)) {}
  void wait() override { state_->wait(work_, "a gradient all-reduce"); }

 private:
  ProcessGroup::State* state_;
  c10::intrusive_ptr<c10d::Work> work_;
};

}  // namespace

std::shared_ptr<ProcessGroup> ProcessGroup::connect(const LaunchEnv& env, std::chrono::milliseconds timeout) {
  auto s = std::make_unique<State>();
  s->env = env;
  s->timeout = timeout;
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  try {
    c10d::TCPStoreOptions o;
    o.port = static_cast<uint16_t>(env.master_port);
    // Under torchrun's agent store every rank is a client; otherwise rank 0 hosts the store.
    o.isServer = !env.agent_store && env.rank == 0;
    if (o.isServer) o.numWorkers = env.world_size;
    o.waitWorkers = false;
    o.timeout = timeout;
    c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
    if (env.agent_store)
      store = c10::make_intrusive<c10d::PrefixStore>("/worker/attempt_" + std::to_string(env.restart_count), store);
    // The group's keys live under their own prefix, apart from the failure marks.
    s->store = c10::make_intrusive<c10d::PrefixStore>("latentkit", store);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"))
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    s->group = c10::make_intrusive<c10d::ProcessGroupGloo>(
        c10::make_intrusive<c10d::PrefixStore>("gloo", s->store), env.rank, env.world_size, options);
  } catch (const std::exception& e) {
    throw GroupError(env.who() + " could not join the group at " + where + " within " +
                     std::to_string(timeout.count() / 1000) + " s: " + first_line(e.what()));
  }
  return std::shared_ptr<ProcessGroup>(new ProcessGroup(std::move(s)));
}

int ProcessGroup::rank() const { return state_->env.rank; }
int ProcessGroup::world_size() const { return state_->env.world_size; }

namespace {

// Gloo moves numbers, not booleans: flags travel as bytes. Non-contiguous tensors travel as
// contiguous copies. Either way the result is copied back afterwards.
at::Tensor transportable(const at::Tensor& t) {
  if (t.scalar_type() == at::kBool) return t.to(at::kByte).contiguous();
  return t.is_contiguous() ? t : t.contiguous();
}

}  // namespace

// A failure to start an operation (a tensor Gloo cannot take) is this program's fault and
// propagates as it is; a failure while waiting is the group's.
void ProcessGroup::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  for (auto& t : tensors) {
    std::vector<at::Tensor> one{transportable(t)};
    state_->wait(state_->group->allreduce(one), "an all-reduce");
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
}

void ProcessGroup::broadcast(std::vector<torch::Tensor>& tensors, int root) {
  c10d::BroadcastOptions o;
  o.rootRank = root;
  for (auto& t : tensors) {
    std::vector<at::Tensor> one{transportable(t)};
    state_->wait(state_->group->broadcast(one, o), "a broadcast");
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
}

std::unique_ptr<ProcessGroup::Pending> ProcessGroup::all_reduce_sum_async(const torch::Tensor& flat) {
  std::vector<at::Tensor> one{flat};
  return std::make_unique<GlooPending>(state_.get(), state_->group->allreduce(one));
}

#else  // no Gloo in this build

struct ProcessGroup::State {
  LaunchEnv env;
};

std::shared_ptr<ProcessGroup> ProcessGroup::connect(const LaunchEnv& env, std::chrono::milliseconds) {
  fail("WORLD_SIZE", "is " + std::to_string(env.world_size) + " but this build of latentkit has no "
                     "distributed backend (install libgloo-dev and configure again)");
}
int ProcessGroup::rank() const { return state_->env.rank; }
int ProcessGroup::world_size() const { return state_->env.world_size; }
void ProcessGroup::all_reduce_sum(std::vector<torch::Tensor>&) {}
void ProcessGroup::broadcast(std::vector<torch::Tensor>&, int) {}
std::unique_ptr<ProcessGroup::Pending> ProcessGroup::all_reduce_sum_async(const torch::Tensor&) {
  return nullptr;
}

#endif

ProcessGroup::ProcessGroup(std::unique_ptr<State> state) : state_(std::move(state)) {}
ProcessGroup::~ProcessGroup() = default;
const LaunchEnv& ProcessGroup::env() const { return state_->env; }

}  // namespace latentkit
