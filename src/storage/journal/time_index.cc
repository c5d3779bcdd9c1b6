#include "storage/journal/time_index.h"

#include <algorithm>

#include "storage/journal/file_util.h"
#include "storage/journal/format.h"

namespace unimq::storage::journal {

void TimeIndex::append(int64_t timestamp, uint32_t rel) {
  std::lock_guard lock(mu_);
  if (!entries_.empty() && timestamp <= entries_.back().timestamp) return;
  entries_.push_back({timestamp, rel});
}

std::optional<uint32_t> TimeIndex::last_before(int64_t ts) const {
  std::lock_guard lock(mu_);
  auto it = std::lower_bound(entries_.begin(), entries_.end(), ts,
                             [](const Entry& e, int64_t t) { return e.timestamp < t; });
  if (it == entries_.begin()) return std::nullopt;
  return std::prev(it)->rel;
}

size_t TimeIndex::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::optional<TimeIndex::Entry> TimeIndex::last() const {
  std::lock_guard lock(mu_);
  if (entries_.empty()) return std::nullopt;
  return entries_.back();
}

void TimeIndex::resize(size_t n) {
  std::lock_guard lock(mu_);
  if (n < entries_.size()) entries_.resize(n);
}

void TimeIndex::drop_after(uint32_t max_rel) {
  std::lock_guard lock(mu_);
  while (!entries_.empty() && entries_.back().rel > max_rel) entries_.pop_back();
}

Status TimeIndex::write_file(const std::string& path) const {
  std::string data;
  {
    std::lock_guard lock(mu_);
    data.resize(entries_.size() * kTimeIndexEntrySize);
    auto* p = reinterpret_cast<uint8_t*>(data.data());
    for (const Entry& e : entries_) {
      put_be64(p, uint64_t(e.timestamp));
      put_be32(p + 8, e.rel);
      p += kTimeIndexEntrySize;
    }
  }
  return write_file_atomic(path, data, /*durable=*/false);  // a cache: rebuilt if torn
}

bool TimeIndex::load_file(const std::string& path, uint32_t max_rel, std::string& why) {
  std::string data;
  Status st = read_small_file(path, data);
  if (!st.ok()) {
    why = st.message;
    return false;
  }
  if (data.size() % kTimeIndexEntrySize != 0) {
    why = "size " + std::to_string(data.size()) + " is not a multiple of 12";
    return false;
  }
  std::vector<Entry> entries(data.size() / kTimeIndexEntrySize);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  for (size_t i = 0; i < entries.size(); ++i, p += kTimeIndexEntrySize) {
    entries[i] = {int64_t(get_be64(p)), get_be32(p + 8)};
    if (entries[i].rel > max_rel) {
      why = "entry " + std::to_string(i) + " points beyond the log";
      return false;
    }
    if (i > 0 &&
        (entries[i].timestamp <= entries[i - 1].timestamp || entries[i].rel < entries[i - 1].rel)) {
      why = "entry " + std::to_string(i) + " is not increasing";
      return false;
    }
  }
  std::lock_guard lock(mu_);
  entries_ = std::move(entries);
  return true;
}

}  // namespace unimq::storage::journal
