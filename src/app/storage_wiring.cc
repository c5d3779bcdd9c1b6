#include "app/storage_wiring.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "metrics/registry.h"
#include "protocol/mqtt/persistence/mqtt_store.h"
#include "storage/journal/direct_reader.h"
#include "storage/journal/journal_stream.h"
#include "storage/journal/segment_files.h"
#include "storage/kv_store.h"
#include "storage/storage_engine.h"

namespace unimq::app {

StorageStack::~StorageStack() {
  mqtt.reset();
  if (engine) engine->close();
}

std::unique_ptr<StorageStack> open_storage(const Config& config, size_t shards) {
  const StorageConfig& c = config.storage;
  auto stack = std::make_unique<StorageStack>();

  storage::EngineOptions eo;
  eo.data_dir = config.server.data_dir;
  eo.default_backend = storage::parse_backend(c.backend).value_or(storage::Backend::Journal);
  auto fsync = storage::parse_fsync_policy(c.fsync).value_or(storage::FsyncPolicy::Interval);
  eo.default_stream.fsync = fsync;
  eo.default_stream.fsync_interval_ms = c.fsync_interval_ms;
  eo.default_stream.segment_bytes = c.segment_bytes;
  eo.default_stream.segment_ms = static_cast<int64_t>(c.segment_ms);
  eo.default_stream.retention_ms = c.retention_ms ? static_cast<int64_t>(c.retention_ms) : -1;
  eo.default_stream.retention_bytes =
      c.retention_bytes ? static_cast<int64_t>(c.retention_bytes) : -1;
  eo.default_stream.page_cache_window_bytes = c.page_cache_window_bytes;
  eo.default_stream.direct_io = c.direct_io;
  eo.tail_cache_stream_bytes = c.tail_cache_stream_bytes;
  eo.tail_cache_bytes = c.tail_cache_bytes;
  eo.max_streams = c.max_streams;
  eo.max_open_segments = c.max_open_segments;
  storage::Status st = storage::StorageEngine::open(eo, stack->engine);
  if (!st.ok()) throw std::runtime_error("cannot open the journal: " + st.message);
  metrics::global_registry().counter_fn(
      "unimq_storage_direct_reads_total",
      "Journal file reads done with O_DIRECT into the buffer an answer is sent from", {},
      [] { return double(storage::journal::direct_reads_total()); });
  metrics::global_registry().gauge_fn(
      "unimq_storage_sealed_segment_files_open",
      "Sealed journal segments whose file is open (storage.max_open_segments at most)", {},
      [] { return double(storage::journal::SegmentFiles::instance().open_files()); });
  metrics::global_registry().counter_fn(
      "unimq_storage_segment_file_reopens_total",
      "Sealed journal segment files opened again for a read after their descriptor was closed", {},
      [] { return double(storage::journal::SegmentFiles::instance().reopens_total()); });
  metrics::global_registry().counter_fn(
      "unimq_storage_read_aheads_total",
      "Journal ranges read ahead of a reader behind the tail (taken by its next read)", {},
      [] { return double(storage::journal::read_aheads_total()); });
  metrics::global_registry().gauge_fn("unimq_storage_read_ahead_bytes",
                                      "Bytes read ahead and not taken yet (64 MiB at most)", {},
                                      [] { return double(storage::journal::read_ahead_bytes()); });

  auto kv_backend = storage::parse_kv_backend(c.kv_backend).value_or(storage::KvBackend::RocksDb);
  st = storage::open_kv_store(kv_backend, config.server.data_dir + "/meta", stack->kv);
  if (!st.ok()) throw std::runtime_error("cannot open the metadata store: " + st.message);

  if (config.mqtt.persistence)
    stack->mqtt = std::make_unique<mqtt::MqttStore>(*stack->engine, *stack->kv, shards,
                                                    fsync == storage::FsyncPolicy::Always);
  spdlog::info("storage: {} streams (fsync {}), {} metadata store under {}", c.backend, c.fsync,
               c.kv_backend, config.server.data_dir);
  return stack;
}

}  // namespace unimq::app
