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

}  // namespace
}  // namespace unimq::kafka
