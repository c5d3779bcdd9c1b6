// Start-up recovery of a journal stream directory and the batch scanner it is built on.
//
// Policy (see docs/storage.md): the last (active) segment is always fully scanned with
// CRC32C checks; older segments are trusted up to their last index entry and only their
// tail is scanned (or everything, when the index files are missing or invalid). The first
// bad batch and everything after it is cut off; if that happens in an older segment, all
// later segments are deleted too (like Kafka, the log must stay one contiguous prefix).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/journal/segment.h"
#include "storage/record_batch.h"
#include "storage/status.h"

namespace unimq::storage::journal {

struct ScanEnd {
  uint64_t pos = 0;   // end of the valid batches scanned (or where fn stopped)
  std::string error;  // empty: reached `end` cleanly (or fn stopped)
};

// Walks batches in fd from pos to end. Each batch must have a sane header, fit before end,
// have base offset >= min_offset and last offset <= max_offset; check_crc also reads the
// whole batch and verifies CRC32C. fn(header, position) returns false to stop early.
ScanEnd scan_batches(int fd, uint64_t pos, uint64_t end, bool check_crc, int64_t min_offset,
                     int64_t max_offset,
                     const std::function<bool(const BatchHeader&, uint64_t)>& fn);

struct StreamRecovery {
  size_t segments = 0;
  int64_t log_start_offset = 0;
  int64_t next_offset = 0;
  uint64_t truncated_bytes = 0;
  size_t indexes_rebuilt = 0;
  size_t segments_dropped = 0;
};

// Opens every segment of a stream directory (creating the first one if there is none),
// repairs it per the policy above and logs what it found. The result is sorted by base
// offset, with the active segment last.
Status recover_stream_dir(const std::string& dir, const std::string& stream_name,
                          uint32_t index_interval, std::vector<std::shared_ptr<Segment>>& segments,
                          StreamRecovery& stats);

// Reads "<dir>/log-start-offset" (0 if missing).
int64_t read_log_start(const std::string& dir);

}  // namespace unimq::storage::journal
