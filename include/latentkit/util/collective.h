#pragma once
// The group of processes that train one model together (data parallelism), as the layers below
// the trainer see it: a rank, a size and the two collectives they need. A single process is a
// group of one whose collectives do nothing, so code that calls them runs unchanged without a
// group. The trainer installs a real group (dist/process_group.h, c10d's Gloo or NCCL) for the
// duration of a distributed run.
#include <torch/types.h>

#include <memory>
#include <vector>

namespace latentkit {

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // Every rank passes tensors of the same shapes, dtypes and order; each becomes, in place, the
  // elementwise sum over the ranks.
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  // Every rank's tensors become, in place, rank `root`'s.
  virtual void broadcast(std::vector<torch::Tensor>& tensors, int root = 0) = 0;
};

// The group installed now; a group of one when none is.
Collective& collective();
// Installs `group` (null: back to a group of one) and returns the previous one.
std::shared_ptr<Collective> install_collective(std::shared_ptr<Collective> group);

// Installs a group for the lifetime of the object and restores the previous one afterwards.
class ScopedCollective {
 public:
  explicit ScopedCollective(std::shared_ptr<Collective> group)
      : previous_(install_collective(std::move(group))) {}
  ~ScopedCollective() { install_collective(std::move(previous_)); }
  ScopedCollective(const ScopedCollective&) = delete;
  ScopedCollective& operator=(const ScopedCollective&) = delete;

 private:
  std::shared_ptr<Collective> previous_;
};

}  // namespace latentkit
