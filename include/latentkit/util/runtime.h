#pragma once
// The compute environment: threads, BLAS, devices.
#include <torch/types.h>

#include <string>

namespace latentkit {

// Sets LibTorch's intra-op (OpenMP) threads, which also run oneDNN's products and the
// convolutions, and, when the BLAS is OpenBLAS, its own thread count. 0 chooses, so that only
// one pool is ever multi-threaded (two on the same cores each spin while the other works):
//   intra-op: `threads` if > 0, else all cores when the work runs on the intra-op pool
//             (intra_op_work: fused steps, convolutions), one thread otherwise;
//   BLAS:     `blas_threads` if > 0, else all cores when the intra-op pool has one thread,
//             one otherwise.
// Remembers its arguments for prefer_threads_for().
void configure_threads(int threads, int blas_threads = 0, bool intra_op_work = true);
// Configures again with the last configure_threads() call's thread counts, once the model (and
// so where its work runs, Model::works_on_intra_op_threads) is known.
void prefer_threads_for(bool intra_op_work);

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
