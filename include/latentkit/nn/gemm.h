#pragma once
// Matrix products for the hand-written training steps (nn/fused_mlp.h).
//
// LibTorch 1.13 sends float32 products to the system BLAS, and Debian's OpenBLAS runs its
// AVX2 kernels here: about 105 GFLOP/s per core, where oneDNN's AVX-512 kernels (the library
// LibTorch itself links for convolutions) reach about 200. When latentkit is built with
// oneDNN's headers (Debian's libdnnl-dev), these functions call oneDNN directly, on the
// intra-op (OpenMP) threads; otherwise they fall back to LibTorch's products.
#include <torch/types.h>

#include <string>

namespace latentkit {

// How the fused training steps multiply: float32 throughout, or bfloat16 operands (weights and
// activations rounded to bf16 for the products only) with float32 accumulation, float32
// master weights, gradients and optimizer state.
enum class GemmPrecision { kFloat32, kBFloat16 };

// c = alpha * op(a) op(b) + beta * c, where op transposes when asked.
// a, b, c: contiguous row-major float32 CPU matrices; c must already have the result's shape.
// With beta = 0, c's old contents are not read (they may be uninitialised).
void gemm(bool transpose_a, bool transpose_b, float alpha, const torch::Tensor& a,
          const torch::Tensor& b, float beta, torch::Tensor& c);

// The same with bfloat16 a and b and a float32 c (accumulated in float32): a oneDNN matmul
// on AVX-512 BF16 hardware. Throws InputError where the build or the CPU cannot.
void gemm_bf16(bool transpose_a, bool transpose_b, float alpha, const torch::Tensor& a,
               const torch::Tensor& b, float beta, torch::Tensor& c);

// "oneDNN 2.6.3 sgemm" or "LibTorch mm (BLAS)": what gemm() uses, for reports.
std::string gemm_backend();
// Whether gemm_bf16() can run here (built with oneDNN and the CPU has AVX-512 BF16).
bool bf16_gemm_available();

}  // namespace latentkit
