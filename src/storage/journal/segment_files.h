// Descriptors of sealed segments: at most `capacity` open at once, process-wide.
//
// A stream's sealed segments are read rarely (consumers far behind, ListOffsets by time), yet
// a log kept for long on a large disk has hundreds of them per partition, and a descriptor
// each would run the process out of its open-file limit (20,000 here) long before the disk
// fills. So, as RocksDB's table cache (max_open_files) and Redpanda's open-file limiter do,
// sealed segments share a bounded set of descriptors: the least recently used one is closed
// when another must be opened, and reopened by path at its next read. Active segments (the
// ones appended to) are never closed.
//
// Eviction is CLOCK (second chance): a read sets the segment's `used` bit without a lock; the
// hand clears bits and closes the first segment whose bit was already clear. A reader that
// holds a descriptor keeps it open (shared_ptr) even after its segment let go of it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace unimq::storage::journal {

class Segment;

class SegmentFiles {
 public:
  static SegmentFiles& instance();

  // 0: unlimited. Lowering it closes descriptors at once.
  void set_capacity(size_t n);
  size_t capacity() const;

  // A sealed segment with its descriptor open: tracked from now on, and other segments'
  // descriptors are closed beyond the capacity. Ignored if the segment is not sealed (a
  // truncation made it active again) or already tracked.
  void admit(Segment* s);
  // The segment is no longer tracked (active again, or being destroyed); its descriptor,
  // if open, stays open.
  void forget(Segment* s);

  size_t open_files() const;       // tracked segments (sealed, descriptor open)
  uint64_t reopens_total() const;  // descriptors opened again after an eviction
  void count_reopen();

 private:
  SegmentFiles() = default;
  void evict_one_locked();
  void remove_locked(size_t slot);

  mutable std::mutex mu_;
  std::vector<Segment*> ring_;  // Segment::files_slot_ is each one's index here
  size_t hand_ = 0;
  size_t capacity_ = 0;
  std::atomic<uint64_t> reopens_{0};
};

}  // namespace unimq::storage::journal
