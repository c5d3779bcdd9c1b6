// What one storage_bench run measured, and how it is printed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "options.h"

namespace unimq::bench {

struct Result {
  bool ok = true;
  std::string error;
  double seconds = 0;    // from the first append to the last completion + final flush
  double flush_ms = 0;   // the final flush (fdatasync) alone
  uint64_t appends = 0;  // completed appends (raw modes: writes)
  uint64_t records = 0;
  uint64_t payload_bytes = 0;          // record values only
  uint64_t disk_bytes = 0;             // file bytes in the run directory (batch framing, indexes)
  int64_t fsyncs = -1;                 // fdatasyncs during the run (-1: not exposed by the backend)
  double cpu_seconds = 0;              // user + system CPU of the whole process during the run
  std::vector<uint32_t> latencies_us;  // append -> completion samples (possibly capped)
};

// User + system CPU seconds used by this process so far (all threads).
double process_cpu_seconds();

// Percentile p (0..100) of the samples (sorted in place); 0 if none.
double percentile(std::vector<uint32_t>& samples, double p);

std::string format_text(const Options& o, Result& r);
std::string format_json(const Options& o, Result& r);

}  // namespace unimq::bench
