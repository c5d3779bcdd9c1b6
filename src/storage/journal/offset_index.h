// Sparse offset index of one segment: relative offset -> file position, one entry per
// index_interval_bytes of log. Kept in memory (8 bytes per entry) and written to
// "<base>.index" when the segment is sealed; the active segment's index is rebuilt by
// recovery, so it is never trusted from disk. Thread-safe: the writer appends while readers
// look up.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "storage/status.h"

namespace unimq::storage::journal {

class OffsetIndex {
 public:
  struct Entry {
    uint32_t rel = 0;  // batch base offset - segment base offset
    uint32_t pos = 0;  // file position of that batch
  };

  // Entries must be strictly increasing in both fields (the caller guarantees it).
  void append(uint32_t rel, uint32_t pos);
  // Largest entry with rel <= target_rel; {0, 0} (segment start) if none.
  Entry lookup(uint32_t target_rel) const;
  size_t size() const;
  bool empty() const { return size() == 0; }
  Entry last() const;  // requires !empty()
  // Keeps the first n entries (rollback of a failed write).
  void resize(size_t n);
  // Drops entries at or after file position pos (truncation).
  void truncate_at_position(uint32_t pos);
  void clear() { resize(0); }

  // Serialises every entry into path (atomic replace).
  Status write_file(const std::string& path) const;
  // Replaces the entries with the file's. False (and why) if the file is missing or
  // malformed: size not a multiple of 8, entries not increasing, or positions beyond
  // log_size.
  bool load_file(const std::string& path, uint64_t log_size, std::string& why);

 private:
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace unimq::storage::journal
