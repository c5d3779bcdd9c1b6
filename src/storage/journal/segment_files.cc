#include "storage/journal/segment_files.h"

#include "storage/journal/segment.h"

namespace unimq::storage::journal {

SegmentFiles& SegmentFiles::instance() {
  static SegmentFiles* files = new SegmentFiles;  // never destroyed: segments may outlive main
  return *files;
}

void SegmentFiles::set_capacity(size_t n) {
  std::lock_guard lock(mu_);
  capacity_ = n;
  while (capacity_ > 0 && ring_.size() > capacity_) evict_one_locked();
}

size_t SegmentFiles::capacity() const {
  std::lock_guard lock(mu_);
  return capacity_;
}

void SegmentFiles::admit(Segment* s) {
  std::lock_guard lock(mu_);
  // Checked under the lock: truncate_to clears `sealed` before it calls forget().
  if (s->files_slot_ != Segment::kNoSlot || !s->sealed()) return;
  while (capacity_ > 0 && ring_.size() >= capacity_) evict_one_locked();
  s->files_slot_ = ring_.size();
  ring_.push_back(s);
}

void SegmentFiles::forget(Segment* s) {
  std::lock_guard lock(mu_);
  if (s->files_slot_ != Segment::kNoSlot) remove_locked(s->files_slot_);
}

size_t SegmentFiles::open_files() const {
  std::lock_guard lock(mu_);
  return ring_.size();
}

uint64_t SegmentFiles::reopens_total() const { return reopens_.load(std::memory_order_relaxed); }

void SegmentFiles::count_reopen() { reopens_.fetch_add(1, std::memory_order_relaxed); }

void SegmentFiles::evict_one_locked() {
  // Every bit is cleared within one turn, so two turns always find a victim.
  for (size_t step = 0; step <= 2 * ring_.size(); ++step) {
    if (hand_ >= ring_.size()) hand_ = 0;
    Segment* s = ring_[hand_];
    if (s->used_.exchange(false, std::memory_order_relaxed)) {
      ++hand_;
      continue;
    }
    remove_locked(hand_);
    s->close_file();
    return;
  }
}

void SegmentFiles::remove_locked(size_t slot) {
  Segment* s = ring_[slot];
  ring_[slot] = ring_.back();
  ring_[slot]->files_slot_ = slot;
  ring_.pop_back();
  s->files_slot_ = Segment::kNoSlot;
}

}  // namespace unimq::storage::journal
