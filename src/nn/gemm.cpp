// Matrix products for the hand-written training steps; see gemm.h.
#include "latentkit/nn/gemm.h"

#include <torch/torch.h>

#include <map>
#include <mutex>
#include <tuple>

#include "latentkit/error.h"
#include "latentkit_onednn.h"  // LATENTKIT_HAVE_ONEDNN, from CMake

#if LATENTKIT_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace latentkit {

namespace {

// Rows and columns of op(t).
std::pair<int64_t, int64_t> op_shape(const torch::Tensor& t, bool transpose) {
  return transpose ? std::make_pair(t.size(1), t.size(0)) : std::make_pair(t.size(0), t.size(1));
}

// Checks the operands' shapes and layout; returns {M, N, K}.
std::tuple<int64_t, int64_t, int64_t> gemm_dims(bool ta, bool tb, const torch::Tensor& a,
                                               const torch::Tensor& b, const torch::Tensor& c,
                                               torch::ScalarType ab_type) {
  TORCH_CHECK(a.dim() == 2 && b.dim() == 2 && c.dim() == 2, "gemm: 2-D operands expected");
  TORCH_CHECK(a.is_contiguous() && b.is_contiguous() && c.is_contiguous(),
              "gemm: contiguous operands expected");
  TORCH_CHECK(a.device().is_cpu() && b.device().is_cpu() && c.device().is_cpu(),
              "gemm: CPU operands expected");
  TORCH_CHECK(a.scalar_type() == ab_type && b.scalar_type() == ab_type &&
                  c.scalar_type() == torch::kFloat32,
              "gemm: unexpected operand types");
  const auto [m, k] = op_shape(a, ta);
  const auto [k2, n] = op_shape(b, tb);
  TORCH_CHECK(k == k2 && c.size(0) == m && c.size(1) == n, "gemm: shapes do not match");
  return {m, n, k};
}

// The LibTorch fallback (float32): c = alpha op(a) op(b) + beta c.
void torch_gemm(bool ta, bool tb, float alpha, const torch::Tensor& a, const torch::Tensor& b,
                float beta, torch::Tensor& c) {
  torch::NoGradGuard no_grad;
  at::addmm_out(c, c, ta ? a.t() : a, tb ? b.t() : b, beta, alpha);
}

#if LATENTKIT_HAVE_ONEDNN
// A oneDNN matmul for bfloat16 operands, compiled once per shape and scaling: creating the
// primitive costs far more than running it at these sizes.
class Bf16Matmuls {
 public:
  void run(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, float beta,
           const void* a, const void* b, float* c) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Key key{ta, tb, m, n, k, alpha, beta};
    auto it = cache_.find(key);
    if (it == cache_.end()) it = cache_.emplace(key, make(ta, tb, m, n, k, alpha, beta)).first;
    auto& [prim, pd] = it->second;
    dnnl::memory ma(pd.src_desc(), engine_, const_cast<void*>(a));
    dnnl::memory mb(pd.weights_desc(), engine_, const_cast<void*>(b));
    dnnl::memory mc(pd.dst_desc(), engine_, c);
    prim.execute(stream_, {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}});
    stream_.wait();
  }

 private:
  using Key = std::tuple<bool, bool, int64_t, int64_t, int64_t, float, float>;
  using Entry = std::pair<dnnl::matmul, dnnl::matmul::primitive_desc>;

  Entry make(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, float beta) {
    using md = dnnl::memory::desc;
    using dt = dnnl::memory::data_type;
    // Row-major matrices; a transposed operand is the same memory read with swapped strides.
    md a_md({m, k}, dt::bf16, ta ? dnnl::memory::dims{1, m} : dnnl::memory::dims{k, 1});
    md b_md({k, n}, dt::bf16, tb ? dnnl::memory::dims{1, k} : dnnl::memory::dims{n, 1});
    md c_md({m, n}, dt::f32, dnnl::memory::dims{n, 1});
    dnnl::primitive_attr attr;
    if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
    if (beta != 0.0f) {
      dnnl::post_ops ops;
      ops.append_sum(beta);
      attr.set_post_ops(ops);
    }
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), attr, engine_);
    return {dnnl::matmul(pd), pd};
  }

  dnnl::engine engine_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{engine_};
  std::mutex mutex_;
  std::map<Key, Entry> cache_;
};
#endif

}  // namespace

void gemm(bool ta, bool tb, float alpha, const torch::Tensor& a, const torch::Tensor& b,
          float beta, torch::Tensor& c) {
  const auto [m, n, k] = gemm_dims(ta, tb, a, b, c, torch::kFloat32);
#if LATENTKIT_HAVE_ONEDNN
  // dnnl_sgemm takes row-major operands (unlike the Fortran BLAS interface).
  const auto status =
      dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, a.data_ptr<float>(), a.size(1),
                 b.data_ptr<float>(), b.size(1), beta, c.data_ptr<float>(), n);
  if (status == dnnl_success) return;
#endif
  torch_gemm(ta, tb, alpha, a, b, beta, c);
}

bool bf16_gemm_available() {
#if LATENTKIT_HAVE_ONEDNN
  // The ISA values are bit sets: AVX-512 BF16 and everything that includes it.
  const unsigned isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
  const unsigned bf16 = static_cast<unsigned>(dnnl_cpu_isa_avx512_core_bf16);
  return (isa & bf16) == bf16;
#else
  return false;
#endif
}

void gemm_bf16(bool ta, bool tb, float alpha, const torch::Tensor& a, const torch::Tensor& b,
               float beta, torch::Tensor& c) {
  const auto [m, n, k] = gemm_dims(ta, tb, a, b, c, torch::kBFloat16);
  if (!bf16_gemm_available())
    fail("--precision bf16", "needs oneDNN and a CPU with AVX-512 BF16; this build or CPU has not");
#if LATENTKIT_HAVE_ONEDNN
  static Bf16Matmuls matmuls;
  try {
    matmuls.run(ta, tb, m, n, k, alpha, beta, a.data_ptr(), b.data_ptr(), c.data_ptr<float>());
  } catch (const dnnl::error& e) {
    fail("--precision bf16", std::string("oneDNN matmul failed: ") + e.what());
  }
#endif
}

std::string gemm_backend() {
#if LATENTKIT_HAVE_ONEDNN
  const dnnl_version_t* v = dnnl_version();
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
         std::to_string(v->patch) + " sgemm";
#else
  return "LibTorch mm (BLAS)";
#endif
}

}  // namespace latentkit
