// The installed process group (see collective.h).
#include "latentkit/util/collective.h"

#include <mutex>

namespace latentkit {

namespace {

class Solo : public Collective {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  void all_reduce_sum(std::vector<torch::Tensor>&) override {}
  void broadcast(std::vector<torch::Tensor>&, int) override {}
};

std::mutex& group_mutex() {
  static std::mutex m;
  return m;
}

std::shared_ptr<Collective>& installed() {
  static std::shared_ptr<Collective> group = std::make_shared<Solo>();
  return group;
}

}  // namespace

Collective& collective() {
  std::lock_guard<std::mutex> lock(group_mutex());
  return *installed();
}

std::shared_ptr<Collective> install_collective(std::shared_ptr<Collective> group) {
  std::lock_guard<std::mutex> lock(group_mutex());
  auto previous = installed();
  installed() = group ? std::move(group) : std::make_shared<Solo>();
  return previous;
}

}  // namespace latentkit
