#pragma once
// The compute environment: threads, BLAS, devices.
#include <torch/types.h>

#include <string>

namespace latentkit {

// Sets LibTorch's intra-op (OpenMP) threads, which also run oneDNN's products and the
// convolutions, and, when the BLAS is OpenBLAS, its own thread count. The execution policy
// (exec/execution.h) decides the counts.
void set_thread_counts(int intra_op_threads, int blas_threads);

// Keeps freed tensor memory in the process instead of returning it to the system: large tensors
// are otherwise mapped and unmapped on every use, and the fresh pages' faults cost more than the
// arithmetic (e.g. the IWAE estimate's chunks). Call once at start-up.
void keep_freed_memory();

// "OpenBLAS 0.3.21 (pthread, Haswell)" or the path of the BLAS library in use.
std::string blas_description();
// BLAS threads when the BLAS can tell, else -1.
int blas_threads();

// Parses --device ("cpu", "cuda", "cuda:1"); throws InputError naming --device.
torch::Device parse_device(const std::string& name);
// The same, and checks that the device is present.
torch::Device resolve_device(const std::string& name);

}  // namespace latentkit
