// Batch shards: partitions of a global batch, and draws that equal the whole batch's rows.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "latentkit/util/batch_shard.h"

namespace latentkit {
namespace {

TEST(BatchShard, RanksTileTheGlobalBatchInOrderWithSizesWithinOne) {
  for (int64_t global = 1; global <= 40; ++global)
    for (int ranks = 1; ranks <= 7; ++ranks) {
      int64_t next = 0, smallest = global, largest = 0;
      for (int r = 0; r < ranks; ++r) {
        const BatchShard s = BatchShard::of(global, r, ranks);
        EXPECT_EQ(s.global, global);
        EXPECT_EQ(s.offset, next) << global << " rows, rank " << r << " of " << ranks;
        next += s.size;
        smallest = std::min(smallest, s.size);
        largest = std::max(largest, s.size);
      }
      EXPECT_EQ(next, global);
      EXPECT_LE(largest - smallest, 1);
    }
}

TEST(BatchShard, DrawsInAShardAreTheGlobalBatchsRows) {
  const BatchShard shard{3, 4, 10};
  torch::manual_seed(5);
  const auto whole_normal = torch::randn({10, 6});
  const auto whole_uniform = torch::rand({10, 6});
  const auto iwae_like = torch::randn({2, 10, 3});  // samples first, the batch second
  auto p_whole = torch::rand({10, 6});
  const auto whole_bernoulli = torch::bernoulli(p_whole);

  torch::manual_seed(5);
  ScopedBatchShard scope(shard);
  ASSERT_NE(active_shard(), nullptr);
  EXPECT_TRUE(torch::equal(batch_randn_like(torch::zeros({4, 6})), whole_normal.narrow(0, 3, 4)));
  EXPECT_TRUE(torch::equal(batch_rand_like(torch::zeros({4, 6})), whole_uniform.narrow(0, 3, 4)));
  auto drawn = draw_for_batch(4, [](int64_t n) { return torch::randn({2, n, 3}); }, 1);
  EXPECT_TRUE(torch::equal(drawn, iwae_like.narrow(1, 3, 4)));
  // The generator advanced by the global batch's draws, as one process's did.
  torch::rand({10, 6});  // stands for p_whole
  EXPECT_TRUE(torch::equal(batch_bernoulli(p_whole.narrow(0, 3, 4).contiguous()),
                           whole_bernoulli.narrow(0, 3, 4)));
}

TEST(BatchShard, OutsideAShardDrawsArePlainAndReductionsAreIdentities) {
  EXPECT_EQ(active_shard(), nullptr);
  torch::manual_seed(9);
  const auto plain = torch::randn({5, 2});
  torch::manual_seed(9);
  EXPECT_TRUE(torch::equal(batch_randn_like(torch::zeros({5, 2})), plain));
  auto x = torch::arange(6.0);
  auto copy = x.clone();
  reduce_batch_means({x});
  reduce_batch_sums({x});
  EXPECT_TRUE(torch::equal(x, copy));
  EXPECT_TRUE(gather_batch(x).is_same(x));
}

}  // namespace
}  // namespace latentkit
