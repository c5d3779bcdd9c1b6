// Time index of one segment: {max timestamp so far, relative offset of the batch}. An entry
// is added with each offset-index entry when the running max timestamp grew, plus a final
// one when the segment is sealed, so timestamps are strictly increasing and every batch up
// to and including an entry's batch has a timestamp <= the entry's. Stored in
// "<base>.timeindex" when sealed. Thread-safe like OffsetIndex.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/status.h"

namespace unimq::storage::journal {

class TimeIndex {
 public:
  struct Entry {
    int64_t timestamp = 0;
    uint32_t rel = 0;
  };

  // Appends if timestamp is greater than the last entry's (else ignored).
  void append(int64_t timestamp, uint32_t rel);
  // Relative offset of the last entry with timestamp < ts: every batch up to it is older
  // than ts, so a search for ts can start there. nullopt: start at the segment start.
  std::optional<uint32_t> last_before(int64_t ts) const;
  size_t size() const;
  std::optional<Entry> last() const;
  void resize(size_t n);
  // Drops entries whose rel > max_rel.
  void drop_after(uint32_t max_rel);
  void clear() { resize(0); }

  Status write_file(const std::string& path) const;
  // False (and why) if missing or malformed: size not a multiple of 12, timestamps or
  // offsets decreasing, or offsets beyond max_rel.
  bool load_file(const std::string& path, uint32_t max_rel, std::string& why);

 private:
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace unimq::storage::journal
