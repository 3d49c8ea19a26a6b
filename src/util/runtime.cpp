#include "latentkit/util/runtime.h"

#include <dlfcn.h>
#include <malloc.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>

#include "latentkit/error.h"

namespace latentkit {

namespace {
// OpenBLAS's own controls, looked up at run time: LibTorch links whichever libblas.so.3 the
// system's alternatives select, so OpenBLAS may or may not be the one loaded.
using SetThreadsFn = void (*)(int);
using GetIntFn = int (*)();
using GetConfigFn = char* (*)();

template <typename Fn>
Fn blas_symbol(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_DEFAULT, name));
}
}  // namespace

void set_thread_counts(int intra_op_threads, int blas_threads) {
  at::set_num_threads(std::max(1, intra_op_threads));
  if (auto set = blas_symbol<SetThreadsFn>("openblas_set_num_threads")) set(std::max(1, blas_threads));
}

void keep_freed_memory() {
  // 32 MiB is the largest mmap threshold glibc accepts; blocks below it come from the heap, and
  // the trim threshold keeps the heap's freed top instead of giving it back after every batch.
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

std::string blas_description() {
  if (auto config = blas_symbol<GetConfigFn>("openblas_get_config")) {
    std::string text = "OpenBLAS";
    if (const char* c = config()) text += std::string(" (") + c + ")";
    return text;
  }
  Dl_info info{};
  if (void* sgemm = ::dlsym(RTLD_DEFAULT, "sgemm_"); sgemm && ::dladdr(sgemm, &info) && info.dli_fname)
    return std::string("BLAS from ") + info.dli_fname;
  return "unknown";
}

int blas_threads() {
  if (auto get = blas_symbol<GetIntFn>("openblas_get_num_threads")) return get();
  return -1;
}

torch::Device parse_device(const std::string& name) {
  torch::Device device(torch::kCPU);
  try {
    device = torch::Device(name);
  } catch (const std::exception&) {
    fail("--device", "'" + name + "' is not a device (use cpu, cuda or cuda:N)");
  }
  if (!device.is_cpu() && !device.is_cuda()) fail("--device", "'" + name + "' is not supported (use cpu or cuda)");
  return device;
}

torch::Device resolve_device(const std::string& name) {
  const torch::Device device = parse_device(name);
  if (device.is_cuda()) {
    if (!torch::cuda::is_available())
      fail("--device", "'" + name + "' asked for, but no CUDA device is available");
    if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count()))
      fail("--device", "'" + name + "': only " + std::to_string(torch::cuda::device_count()) +
                           " CUDA device(s) present");
  }
  return device;
}

}  // namespace latentkit
