// The unified storage model shared by every protocol: streams (topic partitions) of records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace unimq::storage {

// (namespace, name, partition): e.g. ("kafka", "orders", 3), ("mqtt", "messages", 0).
struct StreamId {
  std::string ns;
  std::string name;
  uint32_t partition = 0;
  bool operator==(const StreamId&) const = default;
  std::string to_string() const;  // "ns/name/partition"
};

enum class FsyncPolicy {
  Always,    // an append completes after fdatasync; concurrent appends share one (group commit)
  Interval,  // fdatasync every fsync_interval_ms; appends complete after the write
  Never,     // page cache only; appends complete after the write
};
const char* fsync_policy_name(FsyncPolicy p);
std::optional<FsyncPolicy> parse_fsync_policy(std::string_view s);  // always|interval|never

struct StreamConfig {
  FsyncPolicy fsync = FsyncPolicy::Interval;
  uint32_t fsync_interval_ms = 100;
  uint64_t segment_bytes = 128ull << 20;        // roll a segment past this size
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;  // ... or this age
  int64_t retention_ms = -1;                    // delete whole segments older than this; -1 = keep
  int64_t retention_bytes = -1;                 // keep at most this many bytes; -1 = no limit
  uint32_t index_interval_bytes = 4096;         // one sparse index entry per this many bytes
  uint64_t max_memory_bytes = 64ull << 20;      // memory backend bound (oldest dropped beyond)
  // Journal: writeback starts per window written and pages more than 2 windows behind the
  // end are dropped from the page cache (journal/page_cache.h); 0 = off. Engine-wide: the
  // engine sets it from EngineOptions::default_stream on every journal stream.
  uint64_t page_cache_window_bytes = 4ull << 20;
  // Journal: append with O_DIRECT from the staging buffers (journal/direct_writer.h), where
  // the file system allows it. Engine-wide like page_cache_window_bytes.
  bool direct_io = true;
};

struct Header {
  std::string key;
  std::string value;
  bool operator==(const Header&) const = default;
};

// A record to append. Views must stay valid for the duration of the append call.
struct AppendRecord {
  std::optional<std::string_view> key;
  std::string_view value;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  int64_t timestamp_ms = 0;  // create time; 0 = now
};

// A record read back.
struct Record {
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt = null value (Kafka tombstone)
  std::vector<Header> headers;
};

}  // namespace unimq::storage
