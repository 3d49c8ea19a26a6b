#pragma once
// A c10d process group (Gloo) for the ranks of one training run, behind the Collective
// interface the lower layers call (util/collective.h), plus the asynchronous all-reduce that
// gradient buckets use. c10d's headers are included by src/dist/process_group.cpp alone.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "latentkit/dist/launch_env.h"
#include "latentkit/util/collective.h"

namespace latentkit {

// The group failed: a rank died, hung past the timeout, or could not be reached. what() is one
// line naming the ranks that were lost where they could be told.
class GroupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The backends this build can use: {"gloo"}, or none when LibTorch's c10d or Gloo's headers were
// missing at configure time.
std::vector<std::string> distributed_backends();

class ProcessGroup : public Collective {
 public:
  // Meets the other ranks through the TCPStore that `env` names (the agent's under torchrun,
  // else one hosted by rank 0) and builds a Gloo group. Every collective fails with GroupError
  // when the others do not answer within `timeout`.
  static std::shared_ptr<ProcessGroup> connect(const LaunchEnv& env, std::chrono::milliseconds timeout);
  ~ProcessGroup() override;

  int rank() const override;
  int world_size() const override;
  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override;
  void broadcast(std::vector<torch::Tensor>& tensors, int root = 0) override;

  // An all-reduce (sum) of one contiguous tensor, in flight until wait() returns.
  class Pending {
   public:
    virtual ~Pending() = default;
    virtual void wait() = 0;  // throws GroupError
  };
  std::unique_ptr<Pending> all_reduce_sum_async(const torch::Tensor& flat);

  const LaunchEnv& env() const;

  struct State;  // c10d's objects, in src/dist/process_group.cpp

 private:
  explicit ProcessGroup(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace latentkit
