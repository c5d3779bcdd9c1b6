#include "storage/journal/staging.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace unimq::storage::journal {
namespace {

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(seed + i * 7);
  return v;
}

TEST(Staging, AppendsBackToBackAndKeepsDataWhenGrowing) {
  auto b = take_staging(100);
  EXPECT_EQ(b->lead(), 100u);
  EXPECT_EQ(b->size(), 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b->base()) % StagingBuffer::kAlign, 0u);
  const auto a = pattern(1000, 1);
  const auto big = pattern(3u << 20, 2);  // larger than the initial capacity: grows
  EXPECT_EQ(b->append(a), 0u);
  EXPECT_EQ(b->append(big), 1000u);
  ASSERT_EQ(b->size(), 1000u + big.size());
  EXPECT_EQ(b->data(), b->base() + 100);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b->data()));
  EXPECT_TRUE(std::equal(big.begin(), big.end(), b->data() + 1000));
  EXPECT_GE(b->capacity(), 100u + b->size());
  give_staging(std::move(b));
}

// Large appends take the streaming-store copy: every head alignment and tail length lands
// byte for byte.
TEST(Staging, LargeAppendsAtAnyAlignmentCopyExactly) {
  for (size_t lead : {0u, 1u, 63u, 100u, 4095u}) {
    auto b = take_staging(lead);
    std::vector<uint8_t> expect;
    for (size_t n : {17u, 16384u, 16385u, 40000u + 63u, 70001u, 1u, 65536u}) {
      const auto chunk = pattern(n, uint8_t(n + lead));
      EXPECT_EQ(b->append(chunk), expect.size());
      expect.insert(expect.end(), chunk.begin(), chunk.end());
    }
    ASSERT_EQ(b->size(), expect.size());
    EXPECT_TRUE(std::equal(expect.begin(), expect.end(), b->data())) << "lead " << lead;
    give_staging(std::move(b));
  }
}

TEST(Staging, PoolReusesBuffersEmptied) {
  auto b = take_staging(0);
  b->append(pattern(5000, 3));
  const uint8_t* mem = b->base();
  give_staging(std::move(b));
  auto again = take_staging(4096);
  EXPECT_EQ(again->base(), mem);  // the same (resident) memory
  EXPECT_EQ(again->size(), 0u);
  EXPECT_EQ(again->lead(), 4096u);
  give_staging(std::move(again));
}

}  // namespace
}  // namespace unimq::storage::journal
