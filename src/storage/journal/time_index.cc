#include "storage/journal/time_index.h"

#include <algorithm>

#include "storage/journal/format.h"
#include "storage/journal/index_file.h"

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
  std::lock_guard lock(mu_);
  return write_index_file<kTimeIndexEntrySize>(path, entries_, [](uint8_t* p, const Entry& e) {
    put_be64(p, uint64_t(e.timestamp));
    put_be32(p + 8, e.rel);
  });
}

bool TimeIndex::load_file(const std::string& path, uint32_t max_rel, std::string& why) {
  std::vector<Entry> entries;
  bool ok = read_index_file<kTimeIndexEntrySize, Entry>(
      path, entries, why,
      [](const uint8_t* p) {
        return Entry{int64_t(get_be64(p)), get_be32(p + 8)};
      },
      [max_rel](size_t i, const std::vector<Entry>& e) -> const char* {
        if (e[i].rel > max_rel) return "points beyond the log";
        if (i > 0 && (e[i].timestamp <= e[i - 1].timestamp || e[i].rel < e[i - 1].rel))
          return "is not increasing";
        return nullptr;
      });
  if (!ok) return false;
  std::lock_guard lock(mu_);
  entries_ = std::move(entries);
  return true;
}

}  // namespace unimq::storage::journal
