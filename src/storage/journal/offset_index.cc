#include "storage/journal/offset_index.h"

#include <algorithm>

#include "storage/journal/format.h"
#include "storage/journal/index_file.h"

namespace unimq::storage::journal {

void OffsetIndex::append(uint32_t rel, uint32_t pos) {
  std::lock_guard lock(mu_);
  entries_.push_back({rel, pos});
}

OffsetIndex::Entry OffsetIndex::lookup(uint32_t target_rel) const {
  std::lock_guard lock(mu_);
  auto it = std::upper_bound(entries_.begin(), entries_.end(), target_rel,
                             [](uint32_t t, const Entry& e) { return t < e.rel; });
  return it == entries_.begin() ? Entry{} : *std::prev(it);
}

size_t OffsetIndex::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

OffsetIndex::Entry OffsetIndex::last() const {
  std::lock_guard lock(mu_);
  return entries_.back();
}

void OffsetIndex::resize(size_t n) {
  std::lock_guard lock(mu_);
  if (n < entries_.size()) entries_.resize(n);
}

void OffsetIndex::truncate_at_position(uint32_t pos) {
  std::lock_guard lock(mu_);
  auto it = std::lower_bound(entries_.begin(), entries_.end(), pos,
                             [](const Entry& e, uint32_t p) { return e.pos < p; });
  entries_.erase(it, entries_.end());
}

Status OffsetIndex::write_file(const std::string& path) const {
  std::lock_guard lock(mu_);
  return write_index_file<kIndexEntrySize>(path, entries_, [](uint8_t* p, const Entry& e) {
    put_be32(p, e.rel);
    put_be32(p + 4, e.pos);
  });
}

bool OffsetIndex::load_file(const std::string& path, uint64_t log_size, std::string& why) {
  std::vector<Entry> entries;
  bool ok = read_index_file<kIndexEntrySize, Entry>(
      path, entries, why,
      [](const uint8_t* p) {
        return Entry{get_be32(p), get_be32(p + 4)};
      },
      [log_size](size_t i, const std::vector<Entry>& e) -> const char* {
        if (e[i].pos >= log_size) return "points beyond the log";
        if (i > 0 && (e[i].rel <= e[i - 1].rel || e[i].pos <= e[i - 1].pos))
          return "is not increasing";
        return nullptr;
      });
  if (!ok) return false;
  std::lock_guard lock(mu_);
  entries_ = std::move(entries);
  return true;
}

}  // namespace unimq::storage::journal
