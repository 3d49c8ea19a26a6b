#include "latentkit/util/rng.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <torch/cuda.h>

#include <mutex>

namespace latentkit {

namespace {
at::Generator default_generator(const torch::Device& device) {
  if (device.is_cpu()) return at::detail::getDefaultCPUGenerator();
  return at::globalContext().defaultGenerator(device);
}
}  // namespace

void seed_everything(uint64_t seed) {
  torch::manual_seed(seed);  // seeds CUDA generators too when CUDA is present
}

torch::Tensor generator_state(const torch::Device& device) {
  auto gen = default_generator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_generator_state(const torch::Device& device, const torch::Tensor& state) {
  auto gen = default_generator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

ScopedSeed::ScopedSeed(const torch::Device& device, uint64_t seed) : device_(device) {
  cpu_state_ = generator_state(torch::kCPU);
  if (!device_.is_cpu()) device_state_ = generator_state(device_);
  seed_everything(seed);
}

ScopedSeed::~ScopedSeed() {
  set_generator_state(torch::kCPU, cpu_state_);
  if (!device_.is_cpu()) set_generator_state(device_, device_state_);
}

}  // namespace latentkit
