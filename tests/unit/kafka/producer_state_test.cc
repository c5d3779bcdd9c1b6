// Idempotent producer bookkeeping: duplicates, gaps, epochs, recovery from stored batches.
#include "protocol/kafka/log/producer_state.h"

#include <gtest/gtest.h>

namespace unimq::kafka {
namespace {

using V = ProducerStateTable::Verdict;

TEST(ProducerState, InSequenceBatchesAppendAndADuplicateAnswersTheOriginalOffset) {
  ProducerStateTable t;
  EXPECT_EQ(t.check(7, 0, 0, 5).verdict, V::kAppend);
  t.completed(7, 0, 0, 100);
  EXPECT_EQ(t.check(7, 0, 5, 3).verdict, V::kAppend);
  t.completed(7, 0, 5, 105);
  auto dup = t.check(7, 0, 0, 5);
  EXPECT_EQ(dup.verdict, V::kDuplicate);
  EXPECT_EQ(dup.base_offset, 100);
  dup = t.check(7, 0, 5, 3);
  EXPECT_EQ(dup.verdict, V::kDuplicate);
  EXPECT_EQ(dup.base_offset, 105);
}

TEST(ProducerState, RetryOfABatchStillBeingAppendedIsPendingDuplicate) {
  ProducerStateTable t;
  EXPECT_EQ(t.check(1, 0, 0, 1).verdict, V::kAppend);
  EXPECT_EQ(t.check(1, 0, 0, 1).verdict, V::kDuplicatePending);
}

TEST(ProducerState, GapIsOutOfOrder) {
  ProducerStateTable t;
  EXPECT_EQ(t.check(1, 0, 0, 2).verdict, V::kAppend);
  t.completed(1, 0, 0, 0);
  EXPECT_EQ(t.check(1, 0, 3, 1).verdict, V::kOutOfOrder);
  EXPECT_EQ(t.check(1, 0, 2, 1).verdict, V::kAppend);
}

TEST(ProducerState, StaleEpochIsRejectedAndANewEpochMustStartAtZero) {
  ProducerStateTable t;
  EXPECT_EQ(t.check(1, 3, 0, 1).verdict, V::kAppend);
  EXPECT_EQ(t.check(1, 2, 1, 1).verdict, V::kStaleEpoch);
  EXPECT_EQ(t.check(1, 4, 5, 1).verdict, V::kOutOfOrder);
  EXPECT_EQ(t.check(1, 4, 0, 1).verdict, V::kAppend);
  EXPECT_EQ(t.check(1, 3, 1, 1).verdict, V::kStaleEpoch);
}

TEST(ProducerState, OnlyTheLastFiveBatchesAreRemembered) {
  ProducerStateTable t;
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(t.check(1, 0, i, 1).verdict, V::kAppend);
    t.completed(1, 0, i, 10 + i);
  }
  EXPECT_EQ(t.check(1, 0, 5, 1).verdict, V::kDuplicate);
  EXPECT_EQ(t.check(1, 0, 1, 1).verdict, V::kDuplicate);
  EXPECT_EQ(t.check(1, 0, 0, 1).verdict, V::kOutOfOrder);  // aged out
}

TEST(ProducerState, FailedAppendForgetsTheProducerSoTheRetryIsAccepted) {
  ProducerStateTable t;
  ASSERT_EQ(t.check(1, 0, 0, 1).verdict, V::kAppend);
  t.failed(1);
  EXPECT_EQ(t.check(1, 0, 0, 1).verdict, V::kAppend);
}

TEST(ProducerState, SequencesWrapAtInt32Max) {
  ProducerStateTable t;
  ASSERT_EQ(t.check(1, 0, 2147483646, 2).verdict, V::kAppend);
  t.completed(1, 0, 2147483646, 0);
  EXPECT_EQ(t.check(1, 0, 0, 1).verdict, V::kAppend);
}

TEST(ProducerState, ObservedBatchesRebuildStateAfterRestart) {
  ProducerStateTable t;
  t.observe(9, 1, 0, 10, 0);
  t.observe(9, 1, 10, 10, 10);
  auto dup = t.check(9, 1, 10, 10);
  EXPECT_EQ(dup.verdict, V::kDuplicate);
  EXPECT_EQ(dup.base_offset, 10);
  EXPECT_EQ(t.check(9, 1, 25, 1).verdict, V::kOutOfOrder);
  EXPECT_EQ(t.check(9, 1, 20, 1).verdict, V::kAppend);
  EXPECT_EQ(t.check(9, 0, 21, 1).verdict, V::kStaleEpoch);
}

TEST(ProducerState, IdleProducersExpireButNotOnesWithABatchBeingAppended) {
  ProducerStateTable t;
  ASSERT_EQ(t.check(1, 0, 0, 1, 1000).verdict, V::kAppend);
  t.completed(1, 0, 0, 0);
  ASSERT_EQ(t.check(2, 0, 0, 1, 1000).verdict, V::kAppend);  // still pending
  ASSERT_EQ(t.check(3, 0, 0, 1, 5000).verdict, V::kAppend);
  t.completed(3, 0, 0, 1);
  EXPECT_EQ(t.expire(5999, 5000), 0u);
  EXPECT_EQ(t.expire(6000, 5000), 1u);  // producer 1; 2 is pending, 3 is recent
  EXPECT_EQ(t.producers(), 2u);
  // An expired producer is unknown again: any sequence starts it anew.
  EXPECT_EQ(t.check(1, 0, 7, 1, 6000).verdict, V::kAppend);
}

TEST(ProducerState, SnapshotKeepsAppendedBatchesAndLeavesPendingOnesOut) {
  ProducerStateTable t;
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(t.check(5, 2, i * 2, 2, 77).verdict, V::kAppend);
    t.completed(5, 2, i * 2, 100 + i * 2);
  }
  ASSERT_EQ(t.check(5, 2, 14, 2).verdict, V::kAppend);  // pending: not in the snapshot
  ASSERT_EQ(t.check(6, 0, 0, 1).verdict, V::kAppend);   // only pending: left out
  int64_t offset = -1;
  auto back = ProducerStateTable::decode(t.encode(114), offset);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(offset, 114);
  EXPECT_EQ(back->producers(), 1u);
  auto dup = back->check(5, 2, 12, 2);
  EXPECT_EQ(dup.verdict, V::kDuplicate);
  EXPECT_EQ(dup.base_offset, 112);
  EXPECT_EQ(back->check(5, 2, 6, 2).verdict, V::kDuplicate);    // oldest appended one kept
  EXPECT_EQ(back->check(5, 2, 4, 2).verdict, V::kOutOfOrder);   // had aged out already
  EXPECT_EQ(back->check(5, 1, 14, 2).verdict, V::kStaleEpoch);  // the epoch came back too
  EXPECT_EQ(back->check(5, 2, 14, 2).verdict, V::kAppend);      // the pending batch, again
  EXPECT_EQ(back->expire(77 + 1000, 1000), 0u);                 // pending again now
  ProducerStateTable only_old;
  ASSERT_EQ(only_old.check(8, 0, 0, 1, 77).verdict, V::kAppend);
  only_old.completed(8, 0, 0, 0);
  auto old = ProducerStateTable::decode(only_old.encode(1), offset);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->expire(1077, 1000), 1u);  // the last-active time came back
}

TEST(ProducerState, DecodeRejectsAnythingEncodeDidNotWrite) {
  ProducerStateTable t;
  ASSERT_EQ(t.check(5, 2, 0, 2).verdict, V::kAppend);
  t.completed(5, 2, 0, 0);
  const std::string good = t.encode(2);
  int64_t offset = 0;
  ASSERT_TRUE(ProducerStateTable::decode(good, offset).has_value());
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_FALSE(ProducerStateTable::decode(good.substr(0, n), offset).has_value()) << n;
  EXPECT_FALSE(ProducerStateTable::decode(good + "x", offset).has_value());
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_FALSE(ProducerStateTable::decode(bad_magic, offset).has_value());
  std::string too_many = good;
  too_many[4 + 8 + 4 + 8 + 2 + 8] = 6;  // batches per producer > kBatchesKept
  EXPECT_FALSE(ProducerStateTable::decode(too_many, offset).has_value());
}

TEST(ProducerState, TruncateForgetsBatchesAtOrAfterTheNewEnd) {
  ProducerStateTable t;
  t.observe(1, 0, 0, 5, 0);
  t.observe(1, 0, 5, 5, 10);
  t.observe(2, 0, 0, 1, 20);
  t.truncate(10);
  EXPECT_EQ(t.producers(), 1u);                        // producer 2 had nothing before offset 10
  EXPECT_EQ(t.check(1, 0, 5, 5).verdict, V::kAppend);  // the cut batch is new again
  EXPECT_EQ(t.check(2, 0, 3, 1).verdict, V::kAppend);  // unknown: any sequence
}

TEST(ProducerState, ReplayAfterASnapshotSkipsBatchesItAlreadyHas) {
  ProducerStateTable t;
  t.observe(1, 0, 0, 5, 0);
  t.observe(1, 0, 5, 5, 5);
  t.observe(1, 0, 5, 5, 5);  // the same batch, seen again by an overlapping replay
  t.observe(1, 0, 0, 5, 0);
  EXPECT_EQ(t.check(1, 0, 0, 5).verdict, V::kDuplicate);
  EXPECT_EQ(t.check(1, 0, 10, 1).verdict, V::kAppend);
}

}  // namespace
}  // namespace unimq::kafka
