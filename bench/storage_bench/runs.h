// The measurements: appends through the storage engine, and the raw disk limits.
#pragma once

#include <string>

#include "options.h"
#include "result.h"

namespace unimq::bench {

// Each run works in run_dir (created by the caller, removed afterwards).
Result run_append(const Options& o, const std::string& run_dir);
Result run_raw_fsync(const Options& o, const std::string& run_dir);
Result run_raw_write(const Options& o, const std::string& run_dir);

}  // namespace unimq::bench
