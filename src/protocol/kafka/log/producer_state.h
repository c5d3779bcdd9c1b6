// Idempotent-producer bookkeeping for one partition: per producer id the current epoch, when
// it was last active, and the last few batches' sequence ranges and offsets. Pure logic, no
// locking: the caller (the partition) holds its mutex across check() and the append call, so
// sequence order and offset order agree even with pipelined requests.
//
// Like Kafka's ProducerStateManager, the table is snapshotted (encode) so a restart does not
// have to find every producer in the log, and producers idle for producer.id.expiration.ms
// are forgotten (expire), so short-lived producers do not pile up.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace unimq::kafka {

class ProducerStateTable {
 public:
  static constexpr size_t kBatchesKept = 5;  // Kafka keeps 5 in-flight batches per producer

  enum class Verdict {
    kAppend,            // new batch in sequence: append it, then call completed()
    kDuplicate,         // already stored: answer success with `base_offset`, do not store
    kDuplicatePending,  // a retry of a batch still being appended (no offset yet)
    kOutOfOrder,        // OUT_OF_ORDER_SEQUENCE_NUMBER
    kStaleEpoch,        // INVALID_PRODUCER_EPOCH
  };
  struct Check {
    Verdict verdict;
    int64_t base_offset = -1;
  };

  // Checks a batch (producer id >= 0) and, for kAppend, records it as pending; now_ms marks
  // the producer active.
  Check check(int64_t producer_id, int16_t epoch, int32_t first_seq, int32_t record_count,
              int64_t now_ms = 0);
  // The pending batch got its offset.
  void completed(int64_t producer_id, int16_t epoch, int32_t first_seq, int64_t base_offset);
  // The append failed: forget the producer's state so its retry is accepted.
  void failed(int64_t producer_id);
  // Start-up: replays a stored batch header (batches in offset order). A batch at or before
  // the producer's newest known offset (already in the snapshot) is skipped.
  void observe(int64_t producer_id, int16_t epoch, int32_t first_seq, int32_t record_count,
               int64_t base_offset, int64_t last_ms = 0);
  // Forgets producers idle for ttl_ms (none with a batch being appended); returns how many.
  size_t expire(int64_t now_ms, int64_t ttl_ms);
  // The log now ends at end_offset (a torn tail was cut, or the log is new): forgets batches
  // at or after it, and producers left with none.
  void truncate(int64_t end_offset);

  // Snapshot: the table's appended batches (pending ones are left out) and `offset`, the log
  // offset up to which they are complete. decode() rejects anything encode() did not write.
  std::string encode(int64_t offset) const;
  static std::optional<ProducerStateTable> decode(std::string_view data, int64_t& offset);

  size_t producers() const { return producers_.size(); }

 private:
  struct Batch {
    int32_t first_seq = 0;
    int32_t last_seq = -1;
    int64_t base_offset = -1;
  };
  struct Entry {
    int16_t epoch = -1;
    int64_t last_ms = 0;  // last append (wall clock), for expiry
    std::array<Batch, kBatchesKept> batches{};
    size_t count = 0;  // batches held (<= kBatchesKept); newest at (next - 1)
    size_t next = 0;
    const Batch& newest() const { return batches[(next + kBatchesKept - 1) % kBatchesKept]; }
    // i-th batch from the oldest held (i < count).
    const Batch& oldest(size_t i) const {
      return batches[(next + kBatchesKept - count + i) % kBatchesKept];
    }
    void push(const Batch& b) {
      batches[next] = b;
      next = (next + 1) % kBatchesKept;
      if (count < kBatchesKept) ++count;
    }
  };
  static int32_t last_seq_of(int32_t first_seq, int32_t record_count);

  std::unordered_map<int64_t, Entry> producers_;
};

}  // namespace unimq::kafka
