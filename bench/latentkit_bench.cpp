// Measurements behind bench/performance.py, printed as one JSON object:
//
//   latentkit_bench gemm [--size N]
//     The machine's large-product rates in GFLOP/s: float32 N x N x N through LibTorch's mm
//     (the system BLAS, at the BLAS's own thread count), through latentkit's gemm() (oneDNN
//     when built with it, on the intra-op threads), and bf16 x bf16 -> float32 through
//     gemm_bf16() where the CPU has AVX-512 BF16. Median of 5 timings of `reps` products.
//
//   latentkit_bench infer --model vae|ae [--calls 10000] [--batch 1024]
//     Inference of the reference MLP (784-400-20, ReLU) on Fashion-MNIST test images:
//     throughput (images/s) of encode (the code, or the posterior mean) and score (the squared
//     reconstruction error) at --batch images per call, and single-image latency (median and
//     99th percentile over --calls calls, microseconds) of each.
//
// Both accept --threads T (intra-op threads, 0: all cores) and --blas-threads B (0: one),
// as `latentkit train` does.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "latentkit/catalog/catalog.h"
#include "latentkit/data/data_config.h"
#include "latentkit/data/dataset.h"
#include "latentkit/error.h"
#include "latentkit/exec/execution.h"
#include "latentkit/models/autoencoder.h"
#include "latentkit/models/model.h"
#include "latentkit/models/network.h"
#include "latentkit/models/vae.h"
#include "latentkit/nn/fused_mlp.h"
#include "latentkit/nn/gemm.h"
#include "latentkit/util/runtime.h"

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace latentkit {
namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median over 5 timings of `reps` calls of f, in seconds per call.
template <typename F>
double time_per_call(F&& f, int reps) {
  f();  // warm-up: first-touch pages, primitive creation
  std::vector<double> t;
  for (int r = 0; r < 5; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < reps; ++i) f();
    t.push_back(seconds_since(start) / reps);
  }
  return median(t);
}

json bench_gemm(int64_t n) {
  torch::NoGradGuard no_grad;
  auto a = torch::randn({n, n}), b = torch::randn({n, n}), c = torch::empty({n, n});
  const double flops = 2.0 * n * n * n;
  const int reps = std::max<int>(2, static_cast<int>(4e10 / flops));
  const int threads = at::get_num_threads();
  json out{{"size", n}, {"threads", threads}, {"blas_threads", blas_threads()},
           {"blas", blas_description()}, {"gemm_backend", gemm_backend()}};
  // LibTorch's own product runs on the BLAS's threads: give it as many as gemm() gets.
  set_thread_counts(threads, threads);
  out["torch_mm_gflops"] = flops / time_per_call([&] { at::mm_out(c, a, b); }, reps) / 1e9;
  out["torch_mm_blas_threads"] = blas_threads();
  set_thread_counts(threads, 1);
  out["gemm_gflops"] = flops / time_per_call([&] { gemm(false, false, 1.0f, a, b, 0.0f, c); }, reps) / 1e9;
  if (bf16_gemm_available()) {
    auto ab = a.to(torch::kBFloat16), bb = b.to(torch::kBFloat16);
    out["gemm_bf16_gflops"] =
        flops / time_per_call([&] { gemm_bf16(false, false, 1.0f, ab, bb, 0.0f, c); }, reps) / 1e9;
  }
  return out;
}

// Per-call latencies of f over `calls` calls, each on the next single image.
template <typename F>
json latencies(F&& f, const torch::Tensor& images, int64_t calls) {
  std::vector<double> us(calls);
  for (int64_t i = 0; i < std::min<int64_t>(calls, 100); ++i) f(images.narrow(0, i % images.size(0), 1));
  for (int64_t i = 0; i < calls; ++i) {
    auto x = images.narrow(0, i % images.size(0), 1);
    const auto start = Clock::now();
    f(x);
    us[i] = seconds_since(start) * 1e6;
  }
  std::sort(us.begin(), us.end());
  return json{{"median_us", us[calls / 2]}, {"p99_us", us[std::min<int64_t>(calls - 1, calls * 99 / 100)]}};
}

// Whether run_network() takes the hand-written forward pass for the model's encoder on x: fused
// inference on, gradients off, a float32 CPU matrix and an encoder FusedMlp supports.
bool takes_fused_forward(Model& model, const torch::Tensor& x) {
  torch::nn::Sequential* encoder = nullptr;
  if (auto* vae = dynamic_cast<VAE*>(&model)) encoder = &vae->encoder();
  if (auto* ae = dynamic_cast<Autoencoder*>(&model)) encoder = &ae->encoder();
  return encoder && fused_inference_enabled() && !torch::GradMode::is_enabled() && x.device().is_cpu() &&
         x.dim() == 2 && x.scalar_type() == torch::kFloat32 && FusedMlp::supports(*encoder);
}

json bench_infer(const std::string& kind, int64_t calls, int64_t batch) {
  torch::NoGradGuard no_grad;
  DataConfig data;
  const Dataset ds = load_dataset(data);
  const torch::Tensor images = ds.test.x.contiguous();  // [10000, 784] in [0, 1]
  ModelConfig c = default_config(kind);
  if (auto* vae = c.options.find<VaeOptions>()) vae->likelihood = "bernoulli";
  if (auto* ae = c.options.find<ReconstructionOptions>()) ae->loss = "bce";
  c.input_dim = images.size(1);
  c.get<NetworkOptions>().hidden = {400};
  c.get<NetworkOptions>().latent_dim = 20;
  torch::manual_seed(1);
  auto model = make_model(c);
  model->eval();
  auto encode = [&](const torch::Tensor& x) { return model->encode(x); };
  auto score = [&](const torch::Tensor& x) { return model->reconstruction_error(x); };
  const torch::Tensor b = images.narrow(0, 0, std::min<int64_t>(batch, images.size(0))).contiguous();
  json out{{"model", kind}, {"threads", at::get_num_threads()}, {"batch", b.size(0)},
           {"calls", calls}, {"fused_forward", takes_fused_forward(*model, b)}};
  const int reps = 20;
  out["encode_batch_images_per_s"] = b.size(0) / time_per_call([&] { encode(b); }, reps);
  out["score_batch_images_per_s"] = b.size(0) / time_per_call([&] { score(b); }, reps);
  out["encode_single"] = latencies(encode, images, calls);
  out["score_single"] = latencies(score, images, calls);
  return out;
}

}  // namespace
}  // namespace latentkit

int main(int argc, char** argv) {
  using namespace latentkit;
  CLI::App app{"latentkit's measurements for bench/performance.py (JSON on stdout)"};
  app.require_subcommand(1);
  int threads = 0, blas = 0;
  int64_t size = 2048, calls = 10000, batch = 1024;
  std::string kind = "vae";
  app.add_option("--threads", threads, "Intra-op threads (0: all cores)")->capture_default_str();
  app.add_option("--blas-threads", blas, "OpenBLAS threads (0: one)")->capture_default_str();
  auto* g = app.add_subcommand("gemm", "Large matrix-product rates (GFLOP/s)");
  g->add_option("--size", size, "Matrix size N of the N x N x N products")->capture_default_str()->check(CLI::Range(64, 8192));
  auto* inf = app.add_subcommand("infer", "Encode / score throughput and single-image latency");
  inf->add_option("--model", kind, "vae or ae")->capture_default_str()->check(CLI::IsMember({"vae", "ae"}));
  inf->add_option("--calls", calls, "Single-image calls")->capture_default_str()->check(CLI::Range(1, 10000000));
  inf->add_option("--batch", batch, "Images per throughput call")->capture_default_str()->check(CLI::Range(1, 10000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    keep_freed_memory();
    // Work that is not one run's: all cores for the intra-op pool unless --threads says
    // otherwise, OpenBLAS all cores only when that pool has one thread (as 0.1.0's defaults).
    ExecutionOptions exec;
    exec.threads = threads;
    exec.blas_threads = blas;
    ExecutionPolicy::for_data(exec).apply();
    const json out = g->parsed() ? bench_gemm(size) : bench_infer(kind, calls, batch);
    std::printf("%s\n", out.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latentkit_bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
