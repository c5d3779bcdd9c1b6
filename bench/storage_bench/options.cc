#include "options.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace unimq::bench {
namespace {

constexpr const char* kUsage = R"(usage: storage_bench --dir DIR [options]

Sequential append throughput through StorageEngine/Stream (the journal), or the raw disk
limits the journal is judged against.

  --dir DIR               where to write (a run-<pid> subdirectory, removed afterwards)
  --fsync P               always | interval | never (default interval)
  --fsync-interval-ms N   flush period for --fsync interval (default 100)
  --record-size N         value bytes per record (default 100)
  --batch N               records per append (default 1)
  --writers N             concurrent appending threads on one stream (default 1)
  --inflight N            outstanding appends per writer (default 1 with always, else 64)
  --seconds S             measured seconds (default 5)
  --max-bytes N[K|M|G]    stop after this many payload bytes (default: no limit)
  --segment-bytes N[K|M|G]  journal segment size (default 128M)
  --raw-fsync             raw mode: pwrite + fdatasync loop (4 KiB blocks) for --seconds
  --raw-write             raw mode: sequential 1 MiB writes of --max-bytes (default 1G),
                          then fdatasync; reports MB/s including the sync
  --block-size N[K|M]     raw modes: bytes per write
  --keep                  keep the run directory
  --json                  print one JSON object instead of text
)";

[[noreturn]] void fail(const std::string& msg) {
  std::fprintf(stderr, "storage_bench: %s\n%s", msg.c_str(), kUsage);
  std::exit(2);
}

uint64_t parse_size(std::string_view name, const char* s) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || v < 0) fail("bad value for " + std::string(name) + ": " + s);
  std::string_view suffix(end);
  if (suffix == "K" || suffix == "k")
    v *= 1024;
  else if (suffix == "M" || suffix == "m")
    v *= 1024 * 1024;
  else if (suffix == "G" || suffix == "g")
    v *= 1024.0 * 1024 * 1024;
  else if (!suffix.empty())
    fail("bad suffix for " + std::string(name) + ": " + s);
  return uint64_t(v);
}

int parse_int(std::string_view name, const char* s, int min) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < min || v > (1 << 30)) {
    fail("bad value for " + std::string(name) + ": " + s);
  }
  return int(v);
}

}  // namespace

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::Append:
      return "append";
    case Mode::RawFsync:
      return "raw_fsync";
    case Mode::RawWrite:
      return "raw_write";
  }
  return "?";
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) fail("missing value for " + std::string(a));
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--dir") {
      o.dir = value();
    } else if (a == "--fsync") {
      const char* v = value();
      auto p = storage::parse_fsync_policy(v);
      if (!p) fail(std::string("bad --fsync: ") + v);
      o.fsync = *p;
    } else if (a == "--fsync-interval-ms") {
      o.fsync_interval_ms = uint32_t(parse_int(a, value(), 1));
    } else if (a == "--record-size") {
      o.record_size = parse_int(a, value(), 0);
    } else if (a == "--batch") {
      o.batch = parse_int(a, value(), 1);
    } else if (a == "--writers") {
      o.writers = parse_int(a, value(), 1);
    } else if (a == "--inflight") {
      o.inflight = parse_int(a, value(), 1);
    } else if (a == "--seconds") {
      const char* v = value();
      o.seconds = std::strtod(v, nullptr);
      if (!(o.seconds > 0)) fail(std::string("bad --seconds: ") + v);
    } else if (a == "--max-bytes") {
      o.max_bytes = parse_size(a, value());
    } else if (a == "--segment-bytes") {
      o.segment_bytes = parse_size(a, value());
    } else if (a == "--block-size") {
      o.block_size = int(parse_size(a, value()));
      if (o.block_size <= 0) fail("bad --block-size");
    } else if (a == "--raw-fsync") {
      o.mode = Mode::RawFsync;
    } else if (a == "--raw-write") {
      o.mode = Mode::RawWrite;
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--json") {
      o.json = true;
    } else {
      fail("unknown option " + std::string(a));
    }
  }
  if (o.dir.empty()) fail("--dir is required");
  if (o.inflight == 0) o.inflight = o.fsync == storage::FsyncPolicy::Always ? 1 : 64;
  if (o.block_size == 0) o.block_size = o.mode == Mode::RawWrite ? (1 << 20) : 4096;
  if (o.mode == Mode::RawWrite && o.max_bytes == 0) o.max_bytes = 1ull << 30;
  return o;
}

}  // namespace unimq::bench
