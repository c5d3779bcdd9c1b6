#include "protocol/kafka/log/producer_state.h"

#include <limits>

namespace unimq::kafka {

int32_t ProducerStateTable::last_seq_of(int32_t first_seq, int32_t record_count) {
  // Sequences wrap from INT32_MAX to 0.
  const int64_t last = int64_t(first_seq) + record_count - 1;
  return int32_t(last > std::numeric_limits<int32_t>::max()
                     ? last - std::numeric_limits<int32_t>::max() - 1
                     : last);
}

ProducerStateTable::Check ProducerStateTable::check(int64_t producer_id, int16_t epoch,
                                                    int32_t first_seq, int32_t record_count) {
  const Batch batch{first_seq, last_seq_of(first_seq, record_count), -1};
  auto it = producers_.find(producer_id);
  if (it == producers_.end()) {
    // Unknown producer (new, or its state aged out): accept whatever sequence it starts at.
    Entry e;
    e.epoch = epoch;
    e.push(batch);
    producers_.emplace(producer_id, e);
    return {Verdict::kAppend};
  }
  Entry& e = it->second;
  if (epoch < e.epoch) return {Verdict::kStaleEpoch};
  if (epoch > e.epoch) {
    if (first_seq != 0) return {Verdict::kOutOfOrder};
    e = Entry{};
    e.epoch = epoch;
    e.push(batch);
    return {Verdict::kAppend};
  }
  for (size_t i = 0; i < e.count; ++i) {
    const Batch& b = e.batches[i];
    if (b.first_seq == batch.first_seq && b.last_seq == batch.last_seq)
      return b.base_offset < 0 ? Check{Verdict::kDuplicatePending}
                               : Check{Verdict::kDuplicate, b.base_offset};
  }
  const int32_t last = e.newest().last_seq;
  const int32_t expected = last == std::numeric_limits<int32_t>::max() ? 0 : last + 1;
  if (first_seq != expected) return {Verdict::kOutOfOrder};
  e.push(batch);
  return {Verdict::kAppend};
}

void ProducerStateTable::completed(int64_t producer_id, int16_t epoch, int32_t first_seq,
                                   int64_t base_offset) {
  auto it = producers_.find(producer_id);
  if (it == producers_.end() || it->second.epoch != epoch) return;
  for (size_t i = 0; i < it->second.count; ++i) {
    Batch& b = it->second.batches[i];
    if (b.first_seq == first_seq && b.base_offset < 0) b.base_offset = base_offset;
  }
}

void ProducerStateTable::failed(int64_t producer_id) { producers_.erase(producer_id); }

void ProducerStateTable::observe(int64_t producer_id, int16_t epoch, int32_t first_seq,
                                 int32_t record_count, int64_t base_offset) {
  Entry& e = producers_[producer_id];
  if (epoch != e.epoch) {
    e = Entry{};
    e.epoch = epoch;
  }
  e.push(Batch{first_seq, last_seq_of(first_seq, record_count), base_offset});
}

}  // namespace unimq::kafka
