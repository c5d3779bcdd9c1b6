// The on-disk form shared by the offset and time indexes: a flat array of fixed-size
// big-endian entries, written atomically when a segment is sealed and checked on load (the
// file is a cache: a missing or malformed one is rebuilt from the log by recovery).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/journal/file_util.h"
#include "storage/status.h"

namespace unimq::storage::journal {

// encode(uint8_t* out, const Entry&) writes exactly kSize bytes.
template <size_t kSize, typename Entry, typename Encode>
Status write_index_file(const std::string& path, const std::vector<Entry>& entries, Encode encode) {
  std::string data(entries.size() * kSize, '\0');
  auto* p = reinterpret_cast<uint8_t*>(data.data());
  for (const Entry& e : entries) {
    encode(p, e);
    p += kSize;
  }
  return write_file_atomic(path, data, /*durable=*/false);
}

// decode(const uint8_t*) -> Entry. check(i, entries) returns nullptr when entry i is valid
// given the ones before it, else the reason ("points beyond the log").
template <size_t kSize, typename Entry, typename Decode, typename Check>
bool read_index_file(const std::string& path, std::vector<Entry>& out, std::string& why,
                     Decode decode, Check check) {
  std::string data;
  Status st = read_small_file(path, data);
  if (!st.ok()) {
    why = st.message;
    return false;
  }
  if (data.size() % kSize != 0) {
    why = "size " + std::to_string(data.size()) + " is not a multiple of " + std::to_string(kSize);
    return false;
  }
  std::vector<Entry> entries(data.size() / kSize);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  for (size_t i = 0; i < entries.size(); ++i, p += kSize) {
    entries[i] = decode(p);
    if (const char* bad = check(i, entries)) {
      why = "entry " + std::to_string(i) + " " + bad;
      return false;
    }
  }
  out = std::move(entries);
  return true;
}

}  // namespace unimq::storage::journal
