#pragma once
// Elementwise kernels of the fused training steps (nn/fused_mlp.h), on raw float32 arrays.
// Compiled in their own translation unit with -ffast-math and one clone per instruction set
// (AVX-512, AVX2, baseline; chosen when the program loads), so the loops run 16 lanes wide
// and exp and log1p come from glibc's vector math library. No LibTorch here.
#include <cstdint>

namespace latentkit::kernels {

// A layer for a few rows, output columns [begin, end) only (callers split the columns across
// threads): out[r, j] = act(bias[j] + sum_k x[r, k] w[j, k]) for r < rows, where x: [rows, k],
// w: [n, k] (row-major, Linear's layout), out: [rows, n] and act is the ReLU or the identity.
// Matrix-product libraries tune for many rows; for one image this is a dot product per output.
void linear_few_rows(const float* x, const float* w, const float* bias, float* out, int64_t rows,
                     int64_t n, int64_t k, int64_t begin, int64_t end, bool relu);

// Per row of sigmoid(logits) (relu = false: of out itself) against x, [rows, d]:
// errors[r] = sum_j (sigmoid(logits[r, j]) - x[r, j])^2.
void squared_error_rows(const float* out, const float* x, float* errors, int64_t rows, int64_t d,
                        bool sigmoid);

// out[r, j] = relu(out[r, j] + bias[j]), or without the ReLU.
void add_bias(float* out, const float* bias, int64_t rows, int64_t cols, bool relu);

// sums[j] = scale * sum_r g[r, j]
void column_sums(const float* g, int64_t rows, int64_t cols, float scale, float* sums);

// g[r, j] = 0 where h[r, j] <= 0 (the ReLU's derivative, h being its output), and, in the same
// pass, sums[j] = scale * sum_r g[r, j].
void relu_backward_column_sums(float* g, const float* h, int64_t rows, int64_t cols,
                               float scale, float* sums);

// Over n elements: returns sum softplus(l) - l x (BCE with logits) and sets g = sigmoid(l) - x.
double bernoulli_nll_and_grad(const float* logits, const float* x, float* g, int64_t n);

// Over n elements: returns sum (out - x)^2 and sets r = out - x.
double squared_error_and_residual(const float* out, const float* x, float* r, int64_t n);

// Returns sum v^2 over n elements.
double sum_of_squares(const float* v, int64_t n);

}  // namespace latentkit::kernels
