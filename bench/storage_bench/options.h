// Command-line options of storage_bench.
#pragma once

#include <cstdint>
#include <string>

#include "storage/types.h"

namespace unimq::bench {

enum class Mode {
  Append,    // appends through StorageEngine/Stream (the journal)
  RawFsync,  // 4 KiB pwrite + fdatasync loop on one file: the disk's sync-write rate
  RawWrite,  // 1 MiB sequential writes + one final fdatasync: the disk's bandwidth
};

struct Options {
  Mode mode = Mode::Append;
  std::string dir;  // a fresh run-<pid> directory is created (and removed) inside it
  storage::FsyncPolicy fsync = storage::FsyncPolicy::Interval;
  uint32_t fsync_interval_ms = 100;
  int record_size = 100;   // value bytes per record
  int batch = 1;           // records per append
  int writers = 1;         // appending threads, all on one stream (group commit is per stream)
  int inflight = 0;        // outstanding appends per writer; 0 = 1 for always, 64 otherwise
  double seconds = 5.0;    // measured time (appends stop after it; drain + flush are counted)
  uint64_t max_bytes = 0;  // stop early once this many payload bytes were appended; 0 = none
  uint64_t segment_bytes = 128ull << 20;
  int block_size = 0;  // raw modes: bytes per write (default 4 KiB fsync, 1 MiB write)
  bool keep = false;   // keep the run directory
  bool json = false;
};

// Parses argv. Exits the process on --help or on invalid options.
Options parse_options(int argc, char** argv);

const char* mode_name(Mode m);

}  // namespace unimq::bench
