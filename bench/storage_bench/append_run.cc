// Sequential appends through StorageEngine/Stream: every writer appends to the same stream,
// because group commit (one fdatasync for everything queued) is per stream.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "runs.h"
#include "storage/journal/journal_stream.h"
#include "storage/storage_engine.h"

namespace unimq::bench {
namespace {

using Clock = std::chrono::steady_clock;
using storage::AppendRecord;
using storage::AppendResult;

constexpr size_t kMaxSamplesPerWriter = 1 << 18;  // latency samples kept per writer

struct WriterState {
  std::mutex mu;
  std::condition_variable cv;
  int inflight = 0;
  uint64_t appends = 0;
  uint64_t records = 0;
  uint64_t payload_bytes = 0;
  std::string error;
  std::vector<uint32_t> latencies_us;
};

struct Shared {
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> issued_bytes{0};
};

uint64_t dir_bytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

void writer_loop(const Options& o, storage::Stream& stream, Shared& shared, WriterState& ws,
                 uint32_t seed) {
  // Random bytes: the journal does not compress, but nothing should be able to shortcut.
  std::string value(size_t(o.record_size), '\0');
  std::mt19937 rng(seed);
  for (char& c : value) c = char(rng());
  std::vector<AppendRecord> records(size_t(o.batch));
  for (auto& r : records) r.value = value;
  const uint64_t bytes = uint64_t(o.record_size) * uint64_t(o.batch);

  while (!shared.go.load()) std::this_thread::yield();
  while (!shared.stop.load(std::memory_order_relaxed)) {
    {
      std::unique_lock lock(ws.mu);
      ws.cv.wait(lock, [&] { return ws.inflight < o.inflight; });
      ++ws.inflight;
    }
    if (o.max_bytes > 0 && shared.issued_bytes.fetch_add(bytes) + bytes >= o.max_bytes) {
      shared.stop = true;  // this is the last append
    }
    const auto t0 = Clock::now();
    stream.append(records, [&ws, &shared, t0, n = o.batch, bytes](const AppendResult& r) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
      std::lock_guard lock(ws.mu);
      if (r.status.ok()) {
        ++ws.appends;
        ws.records += uint64_t(n);
        ws.payload_bytes += bytes;
        if (ws.latencies_us.size() < kMaxSamplesPerWriter) {
          ws.latencies_us.push_back(uint32_t(us.count()));
        }
      } else if (ws.error.empty()) {
        ws.error = r.status.message.empty() ? "append failed" : r.status.message;
        shared.stop = true;
      }
      --ws.inflight;
      ws.cv.notify_one();  // under the lock: the writer may destroy ws right after
    });
  }
  std::unique_lock lock(ws.mu);
  ws.cv.wait(lock, [&] { return ws.inflight == 0; });
}

}  // namespace

Result run_append(const Options& o, const std::string& run_dir) {
  Result r;
  storage::EngineOptions eo;
  eo.data_dir = run_dir;
  eo.default_backend = storage::Backend::Journal;
  eo.default_stream.fsync = o.fsync;
  eo.default_stream.fsync_interval_ms = o.fsync_interval_ms;
  eo.default_stream.segment_bytes = o.segment_bytes;
  eo.retention_check_ms = 3600 * 1000;  // nothing to retain during a run
  std::unique_ptr<storage::StorageEngine> engine;
  storage::Status st = storage::StorageEngine::open(eo, engine);
  if (!st.ok()) {
    r.ok = false;
    r.error = "cannot open the storage engine in " + run_dir + ": " + st.message;
    return r;
  }
  std::shared_ptr<storage::Stream> stream = engine->get_or_create({"bench", "storage", 0});
  if (!stream) {
    r.ok = false;
    r.error = "cannot create the stream in " + run_dir;
    return r;
  }
  // The fdatasync count is journal introspection, not part of the Stream interface.
  auto* journal = dynamic_cast<storage::journal::JournalStream*>(stream.get());

  Shared shared;
  std::vector<std::unique_ptr<WriterState>> states;
  std::vector<std::thread> threads;
  for (int i = 0; i < o.writers; ++i) {
    states.push_back(std::make_unique<WriterState>());
    threads.emplace_back(writer_loop, std::cref(o), std::ref(*stream), std::ref(shared),
                         std::ref(*states.back()), uint32_t(i + 1));
  }
  const uint64_t fsyncs_before = journal ? journal->fsync_count() : 0;
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(o.seconds);
  shared.go = true;
  while (!shared.stop.load() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  shared.stop = true;
  for (auto& t : threads) t.join();
  const uint64_t fsyncs_after = journal ? journal->fsync_count() : 0;
  // The final flush is part of the run: it is what makes "never" comparable with a raw
  // write that ends with fdatasync.
  const auto flush_start = Clock::now();
  st = stream->flush();
  const auto end = Clock::now();
  if (!st.ok()) {
    r.ok = false;
    r.error = "flush failed: " + st.message;
  }
  r.seconds = std::chrono::duration<double>(end - start).count();
  r.cpu_seconds = process_cpu_seconds() - cpu_start;
  r.flush_ms = std::chrono::duration<double, std::milli>(end - flush_start).count();
  if (journal) r.fsyncs = int64_t(fsyncs_after - fsyncs_before);
  for (auto& ws : states) {
    r.appends += ws->appends;
    r.records += ws->records;
    r.payload_bytes += ws->payload_bytes;
    r.latencies_us.insert(r.latencies_us.end(), ws->latencies_us.begin(), ws->latencies_us.end());
    if (!ws->error.empty() && r.ok) {
      r.ok = false;
      r.error = ws->error;
    }
  }
  stream.reset();
  engine->close();
  engine.reset();
  r.disk_bytes = dir_bytes(run_dir);
  return r;
}

}  // namespace unimq::bench
