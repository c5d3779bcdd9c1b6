#include "storage/journal/offset_index.h"

#include <algorithm>

#include "storage/journal/file_util.h"
#include "storage/journal/format.h"

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
  std::string data;
  {
    std::lock_guard lock(mu_);
    data.resize(entries_.size() * kIndexEntrySize);
    auto* p = reinterpret_cast<uint8_t*>(data.data());
    for (const Entry& e : entries_) {
      put_be32(p, e.rel);
      put_be32(p + 4, e.pos);
      p += kIndexEntrySize;
    }
  }
  return write_file_atomic(path, data, /*durable=*/false);  // a cache: rebuilt if torn
}

bool OffsetIndex::load_file(const std::string& path, uint64_t log_size, std::string& why) {
  std::string data;
  Status st = read_small_file(path, data);
  if (!st.ok()) {
    why = st.message;
    return false;
  }
  if (data.size() % kIndexEntrySize != 0) {
    why = "size " + std::to_string(data.size()) + " is not a multiple of 8";
    return false;
  }
  std::vector<Entry> entries(data.size() / kIndexEntrySize);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  for (size_t i = 0; i < entries.size(); ++i, p += kIndexEntrySize) {
    entries[i] = {get_be32(p), get_be32(p + 4)};
    if (entries[i].pos >= log_size) {
      why = "entry " + std::to_string(i) + " points beyond the log";
      return false;
    }
    if (i > 0 && (entries[i].rel <= entries[i - 1].rel || entries[i].pos <= entries[i - 1].pos)) {
      why = "entry " + std::to_string(i) + " is not increasing";
      return false;
    }
  }
  std::lock_guard lock(mu_);
  entries_ = std::move(entries);
  return true;
}

}  // namespace unimq::storage::journal
