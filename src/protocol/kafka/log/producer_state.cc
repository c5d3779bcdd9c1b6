#include "protocol/kafka/log/producer_state.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace unimq::kafka {

namespace {
constexpr char kSnapshotMagic[4] = {'U', 'P', 'S', '1'};

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // host order: a snapshot is read back by the same build
  out.append(b, sizeof(T));
}

template <typename T>
bool get(std::string_view& in, T& v) {
  if (in.size() < sizeof(T)) return false;
  std::memcpy(&v, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return true;
}
}  // namespace

int32_t ProducerStateTable::last_seq_of(int32_t first_seq, int32_t record_count) {
  // Sequences wrap from INT32_MAX to 0.
  const int64_t last = int64_t(first_seq) + record_count - 1;
  return int32_t(last > std::numeric_limits<int32_t>::max()
                     ? last - std::numeric_limits<int32_t>::max() - 1
                     : last);
}

ProducerStateTable::Check ProducerStateTable::check(int64_t producer_id, int16_t epoch,
                                                    int32_t first_seq, int32_t record_count,
                                                    int64_t now_ms) {
  const Batch batch{first_seq, last_seq_of(first_seq, record_count), -1};
  auto it = producers_.find(producer_id);
  if (it == producers_.end()) {
    // Unknown producer (new, or its state expired): accept whatever sequence it starts at.
    Entry e;
    e.epoch = epoch;
    e.last_ms = now_ms;
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
    e.last_ms = now_ms;
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
  e.last_ms = std::max(e.last_ms, now_ms);
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
                                 int32_t record_count, int64_t base_offset, int64_t last_ms) {
  Entry& e = producers_[producer_id];
  if (epoch != e.epoch) {
    e = Entry{};
    e.epoch = epoch;
  } else if (e.count > 0 && base_offset <= e.newest().base_offset) {
    return;  // the snapshot had it
  }
  e.last_ms = std::max(e.last_ms, last_ms);
  e.push(Batch{first_seq, last_seq_of(first_seq, record_count), base_offset});
}

size_t ProducerStateTable::expire(int64_t now_ms, int64_t ttl_ms) {
  size_t n = 0;
  for (auto it = producers_.begin(); it != producers_.end();) {
    const Entry& e = it->second;
    bool pending = false;
    for (size_t i = 0; i < e.count; ++i) pending = pending || e.batches[i].base_offset < 0;
    if (!pending && now_ms - e.last_ms >= ttl_ms) {
      it = producers_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

void ProducerStateTable::truncate(int64_t end_offset) {
  for (auto it = producers_.begin(); it != producers_.end();) {
    Entry kept;
    kept.epoch = it->second.epoch;
    kept.last_ms = it->second.last_ms;
    for (size_t i = 0; i < it->second.count; ++i) {
      const Batch& b = it->second.oldest(i);
      if (b.base_offset >= 0 && b.base_offset < end_offset) kept.push(b);
    }
    if (kept.count == 0) {
      it = producers_.erase(it);
    } else {
      it->second = kept;
      ++it;
    }
  }
}

std::string ProducerStateTable::encode(int64_t offset) const {
  std::string out(kSnapshotMagic, sizeof kSnapshotMagic);
  put(out, offset);
  const size_t count_at = out.size();
  put(out, uint32_t(0));
  uint32_t n = 0;
  for (const auto& [pid, e] : producers_) {
    uint8_t done = 0;
    for (size_t i = 0; i < e.count; ++i) done = uint8_t(done + (e.oldest(i).base_offset >= 0));
    if (done == 0) continue;
    put(out, pid);
    put(out, e.epoch);
    put(out, e.last_ms);
    put(out, done);
    for (size_t i = 0; i < e.count; ++i) {
      const Batch& b = e.oldest(i);
      if (b.base_offset < 0) continue;
      put(out, b.first_seq);
      put(out, b.last_seq);
      put(out, b.base_offset);
    }
    ++n;
  }
  std::memcpy(out.data() + count_at, &n, sizeof n);
  return out;
}

std::optional<ProducerStateTable> ProducerStateTable::decode(std::string_view in, int64_t& offset) {
  if (in.size() < sizeof kSnapshotMagic ||
      std::memcmp(in.data(), kSnapshotMagic, sizeof kSnapshotMagic) != 0)
    return std::nullopt;
  in.remove_prefix(sizeof kSnapshotMagic);
  uint32_t n = 0;
  if (!get(in, offset) || offset < 0 || !get(in, n)) return std::nullopt;
  ProducerStateTable t;
  for (uint32_t k = 0; k < n; ++k) {
    int64_t pid = 0;
    Entry e;
    uint8_t batches = 0;
    if (!get(in, pid) || !get(in, e.epoch) || !get(in, e.last_ms) || !get(in, batches) ||
        batches == 0 || batches > kBatchesKept)
      return std::nullopt;
    for (uint8_t i = 0; i < batches; ++i) {
      Batch b;
      if (!get(in, b.first_seq) || !get(in, b.last_seq) || !get(in, b.base_offset) ||
          b.base_offset < 0)
        return std::nullopt;
      e.push(b);
    }
    if (!t.producers_.emplace(pid, e).second) return std::nullopt;
  }
  if (!in.empty()) return std::nullopt;
  return t;
}

}  // namespace unimq::kafka
