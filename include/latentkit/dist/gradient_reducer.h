#pragma once
// Averages gradients over the ranks before an optimizer step, as DistributedDataParallel does:
// the parameters' gradients are packed into flat buckets of about 25 MB, in reverse order of
// registration (the order backward produces them), each bucket's all-reduce is started as soon
// as it is packed so that packing the next overlaps the transfer of the last, and the sums are
// unpacked into the gradients once they arrive.
//
// Each rank's loss is a mean over its shard of the global batch, so its gradient is weighted by
// shard / global before summing: the result is the gradient of the global batch's mean loss,
// what one process computes on the whole batch.
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "latentkit/dist/process_group.h"

namespace latentkit {

class GradientReducer {
 public:
  static constexpr int64_t kDefaultBucketBytes = 25 * 1024 * 1024;
  explicit GradientReducer(std::shared_ptr<ProcessGroup> group, int64_t bucket_bytes = kDefaultBucketBytes);

  // params: an optimizer's parameters in registration order. Their gradients become the
  // weighted sums over the ranks; those without a gradient are left alone.
  void reduce(const std::vector<torch::Tensor>& params, double weight);

  // Totals since construction, for benchmarks: bytes sent into all-reduces, and calls.
  int64_t bytes_reduced() const { return bytes_; }
  int64_t buckets_reduced() const { return buckets_; }

 private:
  std::shared_ptr<ProcessGroup> group_;
  int64_t bucket_bytes_;
  int64_t bytes_ = 0;
  int64_t buckets_ = 0;
};

// Bucket assignment: indices into `params`, grouped from the last parameter back, each group
// holding at most `bucket_bytes` of one dtype and device (a single larger tensor gets its own).
std::vector<std::vector<size_t>> gradient_buckets(const std::vector<torch::Tensor>& params, int64_t bucket_bytes);

}  // namespace latentkit
