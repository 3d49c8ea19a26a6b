// Batch shards of data-parallel steps (see batch_shard.h).
#include "latentkit/util/batch_shard.h"

#include <torch/torch.h>

#include <map>

#include "latentkit/util/collective.h"

namespace latentkit {

namespace {

// The trainer runs steps on one thread; thread_local keeps a test's or a server's other threads
// out of a shard they did not open.
thread_local const BatchShard* current = nullptr;

// All-reduces tensors of any shapes and dtypes with one collective call per dtype: each group
// is flattened into one contiguous buffer and copied back afterwards.
void all_reduce_in_place(std::vector<torch::Tensor>& tensors) {
  std::map<c10::ScalarType, std::vector<size_t>> by_type;
  for (size_t i = 0; i < tensors.size(); ++i) by_type[tensors[i].scalar_type()].push_back(i);
  for (const auto& [type, indices] : by_type) {
    std::vector<torch::Tensor> flat;
    for (size_t i : indices) flat.push_back(tensors[i].reshape({-1}));
    std::vector<torch::Tensor> buffer{torch::cat(flat).contiguous()};
    collective().all_reduce_sum(buffer);
    int64_t at = 0;
    for (size_t i : indices) {
      const int64_t n = tensors[i].numel();
      tensors[i].copy_(buffer[0].narrow(0, at, n).view(tensors[i].sizes()));
      at += n;
    }
  }
}

}  // namespace

BatchShard BatchShard::of(int64_t global, int rank, int ranks) {
  const int64_t base = global / ranks, extra = global % ranks;
  BatchShard s;
  s.global = global;
  s.size = base + (rank < extra ? 1 : 0);
  s.offset = rank * base + std::min<int64_t>(rank, extra);
  return s;
}

const BatchShard* active_shard() { return current; }

ScopedBatchShard::ScopedBatchShard(const BatchShard& shard) : previous_(current), shard_(shard) {
  current = &shard_;
}

ScopedBatchShard::~ScopedBatchShard() { current = previous_; }

torch::Tensor draw_for_batch(int64_t rows, const std::function<torch::Tensor(int64_t)>& draw,
                             int64_t dim) {
  const BatchShard* s = active_shard();
  if (!s || rows != s->size || s->size == s->global) return draw(rows);
  return draw(s->global).narrow(dim, s->offset, s->size);
}

namespace {

// `like`'s sizes with `rows` rows.
std::vector<int64_t> with_rows(const torch::Tensor& like, int64_t rows) {
  auto sizes = like.sizes().vec();
  sizes[0] = rows;
  return sizes;
}

}  // namespace

torch::Tensor batch_randn_like(const torch::Tensor& like) {
  if (like.dim() == 0) return torch::randn_like(like);
  return draw_for_batch(like.size(0), [&](int64_t n) { return torch::randn(with_rows(like, n), like.options()); });
}

torch::Tensor batch_rand_like(const torch::Tensor& like) {
  if (like.dim() == 0) return torch::rand_like(like);
  return draw_for_batch(like.size(0), [&](int64_t n) { return torch::rand(with_rows(like, n), like.options()); });
}

torch::Tensor batch_bernoulli(const torch::Tensor& p) {
  const BatchShard* s = active_shard();
  if (!s || p.dim() == 0 || p.size(0) != s->size || s->size == s->global) return torch::bernoulli(p);
  // LibTorch's CPU bernoulli(p) is (uniform draw < p) element by element, so the global batch's
  // uniform draws give the same states as one process's bernoulli on the whole batch.
  return (batch_rand_like(p) < p).to(p.scalar_type());
}

torch::Tensor gather_batch(const torch::Tensor& x) {
  const BatchShard* s = active_shard();
  if (!s || collective().world_size() == 1) return x;
  std::vector<torch::Tensor> whole{torch::zeros(with_rows(x, s->global), x.options())};
  whole[0].narrow(0, s->offset, s->size).copy_(x);
  all_reduce_in_place(whole);
  return whole[0];
}

void reduce_batch_means(std::vector<torch::Tensor> means) {
  const BatchShard* s = active_shard();
  if (!s || collective().world_size() == 1) return;
  const double weight = static_cast<double>(s->size) / static_cast<double>(s->global);
  for (auto& m : means) m.mul_(weight);
  all_reduce_in_place(means);
}

void reduce_batch_sums(std::vector<torch::Tensor> sums) {
  if (!active_shard() || collective().world_size() == 1) return;
  all_reduce_in_place(sums);
}

}  // namespace latentkit
