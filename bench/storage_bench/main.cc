// storage_bench: sequential append throughput of the storage engine (the journal) under each
// fsync policy, and the raw disk limits it is judged against. See bench/storage.sh.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "options.h"
#include "result.h"
#include "runs.h"

int main(int argc, char** argv) {
  using namespace unimq::bench;
  Options o = parse_options(argc, argv);

  // A private directory per run: never recover (or delete) someone else's journal.
  const std::string run_dir = o.dir + "/run-" + std::to_string(::getpid());
  std::error_code ec;
  std::filesystem::remove_all(run_dir, ec);
  std::filesystem::create_directories(run_dir, ec);
  if (ec) {
    std::fprintf(stderr, "storage_bench: cannot create %s: %s\n", run_dir.c_str(),
                 ec.message().c_str());
    return 1;
  }

  Result r;
  switch (o.mode) {
    case Mode::Append:
      r = run_append(o, run_dir);
      break;
    case Mode::RawFsync:
      r = run_raw_fsync(o, run_dir);
      break;
    case Mode::RawWrite:
      r = run_raw_write(o, run_dir);
      break;
  }
  if (!o.keep) std::filesystem::remove_all(run_dir, ec);

  const std::string out = o.json ? format_json(o, r) + "\n" : format_text(o, r);
  std::fputs(out.c_str(), stdout);
  if (!r.ok) std::fprintf(stderr, "storage_bench: %s\n", r.error.c_str());
  return r.ok ? 0 : 1;
}
