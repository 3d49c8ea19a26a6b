#pragma once
// The compute environment: threads, BLAS, devices.
#include <torch/types.h>

#include <string>

namespace latentkit {

// Sets LibTorch's intra-op (OpenMP) threads, which also run oneDNN's products, and, when the
// BLAS is OpenBLAS, its own thread count. 0 chooses: all cores for the intra-op pool and one
// BLAS thread, so the two pools never compete for the same cores (see the .cpp).
void configure_threads(int threads, int blas_threads = 0);

// Keeps freed tensor memory in the process instead of returning it to the system: large tensors
// are otherwise mapped and unmapped on every use, and the fresh pages' faults cost more than the
// arithmetic (e.g. the IWAE estimate's chunks). Call once at start-up.
void keep_freed_memory();

// "OpenBLAS 0.3.21 (pthread, Haswell)" or the path of the BLAS library in use.
std::string blas_description();
// BLAS threads when the BLAS can tell, else -1.
int blas_threads();

// Parses --device ("cpu", "cuda", "cuda:1") and checks that it is present; throws InputError.
torch::Device resolve_device(const std::string& name);

}  // namespace latentkit
