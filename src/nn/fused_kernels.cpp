// Elementwise kernels of the fused training steps; see fused_kernels.h. Sums are accumulated
// in float over blocks of kBlock elements and in double across blocks.
#include "fused_kernels.h"

#include <cmath>
#include <cstring>

#define LATENTKIT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

namespace latentkit::kernels {

namespace {
constexpr int64_t kBlock = 1024;
}

LATENTKIT_CLONES
void add_bias(float* __restrict out, const float* __restrict bias, int64_t rows, int64_t cols,
              bool relu) {
  for (int64_t r = 0; r < rows; ++r) {
    float* __restrict row = out + r * cols;
    if (relu) {
      for (int64_t j = 0; j < cols; ++j) {
        const float v = row[j] + bias[j];
        row[j] = v > 0.0f ? v : 0.0f;
      }
    } else {
      for (int64_t j = 0; j < cols; ++j) row[j] += bias[j];
    }
  }
}

LATENTKIT_CLONES
void linear_few_rows(const float* __restrict x, const float* __restrict w,
                     const float* __restrict bias, float* __restrict out, int64_t rows, int64_t n,
                     int64_t k, int64_t begin, int64_t end, bool relu) {
  auto finish = [&](int64_t r, int64_t j, float acc) {
    acc += bias[j];
    out[r * n + j] = relu && acc < 0.0f ? 0.0f : acc;
  };
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict xr = x + r * k;
    int64_t j = begin;
    // Four outputs at a time: four independent sums keep the FMA units busy, where one sum
    // would wait on each addition's latency.
    for (; j + 4 <= end; j += 4) {
      const float* __restrict w0 = w + j * k;
      const float* __restrict w1 = w0 + k;
      const float* __restrict w2 = w1 + k;
      const float* __restrict w3 = w2 + k;
      float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
      for (int64_t i = 0; i < k; ++i) {
        const float xi = xr[i];
        a0 += xi * w0[i];
        a1 += xi * w1[i];
        a2 += xi * w2[i];
        a3 += xi * w3[i];
      }
      finish(r, j, a0);
      finish(r, j + 1, a1);
      finish(r, j + 2, a2);
      finish(r, j + 3, a3);
    }
    for (; j < end; ++j) {
      const float* __restrict wj = w + j * k;
      float acc = 0.0f;
      for (int64_t i = 0; i < k; ++i) acc += xr[i] * wj[i];
      finish(r, j, acc);
    }
  }
}

LATENTKIT_CLONES
void squared_error_rows(const float* __restrict out, const float* __restrict x,
                        float* __restrict errors, int64_t rows, int64_t d, bool sigmoid) {
  for (int64_t r = 0; r < rows; ++r) {
    float acc = 0.0f;
    for (int64_t j = 0; j < d; ++j) {
      const float o = out[r * d + j];
      const float y = sigmoid ? 1.0f / (1.0f + std::exp(-o)) : o;
      const float diff = y - x[r * d + j];
      acc += diff * diff;
    }
    errors[r] = acc;
  }
}

LATENTKIT_CLONES
void column_sums(const float* __restrict g, int64_t rows, int64_t cols, float scale,
                 float* __restrict sums) {
  std::memset(sums, 0, sizeof(float) * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) sums[j] += g[r * cols + j];
  for (int64_t j = 0; j < cols; ++j) sums[j] *= scale;
}

LATENTKIT_CLONES
void relu_backward_column_sums(float* __restrict g, const float* __restrict h, int64_t rows,
                               int64_t cols, float scale, float* __restrict sums) {
  std::memset(sums, 0, sizeof(float) * cols);
  for (int64_t r = 0; r < rows; ++r) {
    float* __restrict row = g + r * cols;
    const float* __restrict act = h + r * cols;
    for (int64_t j = 0; j < cols; ++j) {
      const float v = act[j] > 0.0f ? row[j] : 0.0f;
      row[j] = v;
      sums[j] += v;
    }
  }
  for (int64_t j = 0; j < cols; ++j) sums[j] *= scale;
}

LATENTKIT_CLONES
double bernoulli_nll_and_grad(const float* __restrict logits, const float* __restrict x,
                              float* __restrict g, int64_t n) {
  double total = 0.0;
  for (int64_t begin = 0; begin < n; begin += kBlock) {
    const int64_t end = begin + kBlock < n ? begin + kBlock : n;
    float block = 0.0f;
    for (int64_t i = begin; i < end; ++i) {
      const float l = logits[i], xi = x[i];
      // With e = exp(-|l|) <= 1: softplus(l) = max(l, 0) + log1p(e), and
      // sigmoid(l) = 1 / (1 + e) for l >= 0, e / (1 + e) otherwise; neither overflows.
      const float e = std::exp(-std::fabs(l));
      const float inv = 1.0f / (1.0f + e);
      g[i] = (l >= 0.0f ? inv : e * inv) - xi;
      block += (l > 0.0f ? l : 0.0f) + std::log1p(e) - l * xi;
    }
    total += block;
  }
  return total;
}

LATENTKIT_CLONES
double squared_error_and_residual(const float* __restrict out, const float* __restrict x,
                                  float* __restrict r, int64_t n) {
  double total = 0.0;
  for (int64_t begin = 0; begin < n; begin += kBlock) {
    const int64_t end = begin + kBlock < n ? begin + kBlock : n;
    float block = 0.0f;
    for (int64_t i = begin; i < end; ++i) {
      const float d = out[i] - x[i];
      r[i] = d;
      block += d * d;
    }
    total += block;
  }
  return total;
}

LATENTKIT_CLONES
double sum_of_squares(const float* __restrict v, int64_t n) {
  double total = 0.0;
  for (int64_t begin = 0; begin < n; begin += kBlock) {
    const int64_t end = begin + kBlock < n ? begin + kBlock : n;
    float block = 0.0f;
    for (int64_t i = begin; i < end; ++i) block += v[i] * v[i];
    total += block;
  }
  return total;
}

}  // namespace latentkit::kernels
