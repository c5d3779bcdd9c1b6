// What the MQTT broker keeps in the storage layer, and where:
//   journal stream ("mqtt", "messages", shard)  QoS 1/2 messages published on that shard
//   kv "mqtt/s/<client id>"   persistent session: expiry, subscriptions, will
//   kv "mqtt/c/<client id>"   session cursors: per stream, the first offset not yet done
//   kv "mqtt/r/<topic>"       retained message
//   kv "mqtt/d/<id>"          delayed publish with its due time
// A session's queue and inflight messages are not written one by one: they are the journal
// records at or after its cursor that match its subscriptions, replayed at start-up.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/message.h"
#include "protocol/mqtt/session/session.h"
#include "storage/kv_store.h"
#include "storage/storage_engine.h"

namespace unimq::mqtt {

using Cursors = std::map<uint32_t, int64_t>;  // stream (shard) -> offset

struct PersistedSession {
  std::string client_id;
  int version = 4;
  uint32_t expiry_interval = 0;
  int64_t disconnected_at_ms = 0;  // 0 = connected when last written
  std::string username;
  std::vector<std::pair<std::string, SessionSubscription>> subscriptions;  // key -> sub
  core::MessagePtr will;                                                   // may be null
  uint32_t will_delay = 0;
  Cursors cursors;
};

class MqttStore {
 public:
  // sync: KV writes wait for fsync (fsync policy "always").
  MqttStore(storage::StorageEngine& engine, storage::KvStore& kv, size_t shards, bool sync);

  storage::Stream& stream(uint32_t shard) { return *streams_[shard]; }
  size_t stream_count() const { return streams_.size(); }
  // Appends one message to its shard's stream; done runs on a storage thread.
  void append(uint32_t shard, const core::Message& m,
              std::function<void(const storage::AppendResult&)> done);

  void save_session(const PersistedSession& s);
  void save_cursors(const std::vector<std::pair<std::string, Cursors>>& batch);
  void delete_session(const std::string& client_id);
  std::vector<PersistedSession> load_sessions();

  void put_retained(const core::Message& m);  // empty payload deletes
  void load_retained(const std::function<void(core::MessagePtr)>& fn);

  std::string put_delayed(int64_t due_wall_ms, const core::Message& m);
  void delete_delayed(const std::string& key);
  void load_delayed(const std::function<void(std::string key, int64_t due_wall_ms,
                                             core::MessagePtr)>& fn);

  // Current end of every stream (cursors of a new session start there).
  Cursors latest_offsets();

 private:
  void check(const storage::Status& st, const char* what);

  storage::KvStore& kv_;
  bool sync_;
  std::vector<std::shared_ptr<storage::Stream>> streams_;
};

// Compact binary (CBOR) encoding of a message, for KV values.
std::string encode_message(const core::Message& m);
core::MessagePtr decode_message(std::string_view bytes);

}  // namespace unimq::mqtt
