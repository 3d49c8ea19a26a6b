#include "latentkit/util/runtime.h"

#include <dlfcn.h>
#include <malloc.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <thread>

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

void configure_threads(int threads, int blas_threads) {
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  // Two thread pools on the same cores (the intra-op OpenMP pool and OpenBLAS's pthreads) lose
  // a lot: each spins while the other works. The intra-op pool runs LibTorch's kernels,
  // convolutions and oneDNN's products (the fused steps' matrix products, nn/gemm.h), so by
  // default it gets the cores and OpenBLAS runs its products on the calling thread.
  const int intra_op = threads > 0 ? threads : cores;
  const int blas = blas_threads > 0 ? blas_threads : 1;
  at::set_num_threads(intra_op);
  if (auto set = blas_symbol<SetThreadsFn>("openblas_set_num_threads")) set(blas);
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

torch::Device resolve_device(const std::string& name) {
  torch::Device device(torch::kCPU);
  try {
    device = torch::Device(name);
  } catch (const std::exception&) {
    fail("--device", "'" + name + "' is not a device (use cpu, cuda or cuda:N)");
  }
  if (device.is_cuda()) {
    if (!torch::cuda::is_available())
      fail("--device", "'" + name + "' asked for, but no CUDA device is available");
    if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count()))
      fail("--device", "'" + name + "': only " + std::to_string(torch::cuda::device_count()) +
                           " CUDA device(s) present");
  } else if (!device.is_cpu()) {
    fail("--device", "'" + name + "' is not supported (use cpu or cuda)");
  }
  return device;
}

}  // namespace latentkit
