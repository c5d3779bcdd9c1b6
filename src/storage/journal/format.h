// On-disk format of the journal: names, versions and fixed encodings. See docs/storage.md.
//
// Format version 1 (kJournalFormatVersion):
//   <data_dir>/journal/FORMAT            "unimq-journal <version>\n"
//   <data_dir>/journal/<ns>/<name>-<p>/  one directory per stream (names %-escaped)
//     <base>.log        RecordBatch v2 batches back to back (base = 20-digit base offset)
//     <base>.index      sparse offset index: {relative offset u32, file position u32} BE
//     <base>.timeindex  time index: {max timestamp i64, relative offset u32} BE, monotonic
//     log-start-offset  "<offset>\n" written by delete_before (atomic rename)
// Compatibility: a reader refuses a FORMAT version greater than its own. Index files are
// caches: any reader may delete and rebuild them from the .log, so their encoding can change
// without a version bump as long as bad/old files fail validation. The .log encoding is
// Kafka's and is not expected to change; a new batch magic would need a version bump.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace unimq::storage::journal {

constexpr int kJournalFormatVersion = 1;
constexpr const char* kFormatFileName = "FORMAT";
constexpr const char* kLogStartFileName = "log-start-offset";
constexpr const char* kLogSuffix = ".log";
constexpr const char* kIndexSuffix = ".index";
constexpr const char* kTimeIndexSuffix = ".timeindex";
constexpr size_t kIndexEntrySize = 8;
constexpr size_t kTimeIndexEntrySize = 12;
// File positions and relative offsets are u32: segments are capped below 2 GiB.
constexpr uint64_t kMaxSegmentBytes = (1ull << 31) - 1;
constexpr uint64_t kMinSegmentBytes = 1;
// Appends queued but not yet written, per stream; append() blocks beyond this (backpressure).
constexpr uint64_t kMaxPendingBytes = 16ull << 20;
// Staging chunk size (journal_stream.h): one direct write each at most, a batch larger than it
// gets a chunk of its own.
constexpr uint64_t kStagingChunk = (2ull << 20) - 8192;

// "00000000000000000042" for 42.
std::string segment_file_name(int64_t base_offset, const char* suffix);
// Parses "<20 digits>.log" into the base offset; false for anything else.
bool parse_segment_file_name(std::string_view name, int64_t& base_offset);
// Directory-name escaping: bytes outside [A-Za-z0-9._-] and a leading '.' become %XX, so
// any namespace/stream name maps to one safe path component and back.
std::string escape_name(std::string_view s);
bool unescape_name(std::string_view s, std::string& out);

inline void put_be32(uint8_t* p, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = uint8_t(v);
}
inline void put_be64(uint8_t* p, uint64_t v) {
  put_be32(p, uint32_t(v >> 32));
  put_be32(p + 4, uint32_t(v));
}
inline uint32_t get_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline uint64_t get_be64(const uint8_t* p) { return uint64_t(get_be32(p)) << 32 | get_be32(p + 4); }

}  // namespace unimq::storage::journal
