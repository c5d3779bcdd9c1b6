// Opens streams by id with the backend configured for their namespace, and owns the
// background work (group-commit fsync, interval flush, retention).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/status.h"
#include "storage/stream.h"
#include "storage/types.h"

namespace unimq::storage {

enum class Backend { Memory, Journal };
std::optional<Backend> parse_backend(std::string_view s);  // memory|journal

struct EngineOptions {
  std::string data_dir;  // journal root: <data_dir>/journal/<ns>/<name>-<p>/
  Backend default_backend = Backend::Journal;
  std::map<std::string, Backend> backend_by_namespace;  // e.g. {"mqtt-transient": Memory}
  StreamConfig default_stream;
  uint32_t retention_check_ms = 60000;
  // Journal tail cache (journal/tail_cache.h): one stream's ring and all rings together.
  uint64_t tail_cache_stream_bytes = 16ull << 20;
  uint64_t tail_cache_bytes = 128ull << 20;
  // Streams open at once: a journal stream holds file descriptors (two for its active
  // segment; sealed ones share max_open_segments), any stream memory. 0 = derived from the
  // open-file limit (journal_stream_budget). Streams recovered at start are always opened.
  uint32_t max_streams = 0;
  // Descriptors of sealed segments kept open, process-wide (journal/segment_files.h): beyond
  // it the least recently read are closed and reopened when read. 0 = derived from the
  // open-file limit like max_streams (the third descriptor each stream is budgeted).
  uint32_t max_open_segments = 0;
};

// The journal streams an open-file limit of `nofile` allows: kFdsPerStream each, after
// kReservedFds (or a quarter of the limit, if smaller) kept for connections and the KV store.
uint32_t journal_stream_budget(uint64_t nofile);

class StorageEngine {
 public:
  // Opens the data directory and recovers every existing stream (logs what it recovered).
  // Fails with a clear Status if the directory is unwritable or a stream is unrecoverable.
  static Status open(EngineOptions opts, std::unique_ptr<StorageEngine>& out);
  virtual ~StorageEngine() = default;

  // Returns the stream, creating it with `config` (or the defaults) if it does not exist.
  virtual std::shared_ptr<Stream> get_or_create(const StreamId& id,
                                                const StreamConfig* config = nullptr) = 0;
  virtual std::shared_ptr<Stream> find(const StreamId& id) = 0;
  virtual Status remove(const StreamId& id) = 0;  // deletes the stream and its files
  virtual std::vector<StreamId> list(const std::string& ns) = 0;
  // How many more streams get_or_create can open (EngineOptions::max_streams).
  virtual size_t streams_left() = 0;
  virtual void close() = 0;  // flushes and stops background work
};

}  // namespace unimq::storage
