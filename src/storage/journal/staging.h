// Staging buffers: where a journal stream's appends wait for its writer.
//
// An append copies its batch into the stream's current staging buffer (under the queue
// lock) and returns; the writer takes the whole buffer and writes it out. The buffers are
// page-aligned and recycled through a small process-wide pool, so the one copy of a produced
// byte lands in memory that is already resident (no allocation per batch, no fresh pages:
// on VMs with free page reporting a first touch costs a host fault). A stream holds a
// buffer only while it has appends queued or being written.
//
// `lead` leaves room before the data, so the writer can put the partial block the file
// already ends with right in front of it and write whole blocks (O_DIRECT, segment.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace unimq::storage::journal {

class StagingBuffer {
 public:
  static constexpr size_t kAlign = 4096;

  StagingBuffer() = default;
  ~StagingBuffer();
  StagingBuffer(const StagingBuffer&) = delete;
  StagingBuffer& operator=(const StagingBuffer&) = delete;

  // Empties the buffer; data starts `lead` bytes into the allocation (lead <= kAlign * 2).
  void reset(size_t lead);
  // Copies bytes to the end (growing if needed); returns their offset from data().
  size_t append(std::span<const uint8_t> bytes);
  uint8_t* data() { return mem_ + lead_; }
  size_t size() const { return size_; }
  size_t lead() const { return lead_; }
  size_t capacity() const { return cap_; }
  // The allocation itself (aligned), for writes that start before data().
  uint8_t* base() { return mem_; }

  // Where data() is predicted to land in its segment file (set by the stream that fills it).
  uint64_t file_pos = 0;

 private:
  void grow(size_t need);

  uint8_t* mem_ = nullptr;
  size_t cap_ = 0;
  size_t lead_ = 0;
  size_t size_ = 0;
};

// Page-aligned memory; a multiple of 2 MiB comes as transparent huge pages (one folio per
// direct I/O, no TLB misses on the copy). Freed with the same capacity.
uint8_t* allocate_aligned(size_t cap);
void free_aligned(uint8_t* mem, size_t cap);

// Takes a buffer from the pool (or a new one), reset to `lead`.
std::unique_ptr<StagingBuffer> take_staging(size_t lead);
// Returns a buffer; the pool keeps a few of moderate size, frees the rest.
void give_staging(std::unique_ptr<StagingBuffer> b);

}  // namespace unimq::storage::journal
