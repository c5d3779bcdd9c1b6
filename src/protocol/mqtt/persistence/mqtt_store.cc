#include "protocol/mqtt/persistence/mqtt_store.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>

#include <nlohmann/json.hpp>
#include "core/clock.h"

#include "protocol/mqtt/persistence/message_record.h"

namespace unimq::mqtt {

using json = nlohmann::json;

namespace {
const std::string kSession = "mqtt/s/";
const std::string kCursor = "mqtt/c/";
const std::string kRetained = "mqtt/r/";
const std::string kDelayed = "mqtt/d/";

using core::wall_ms;

json::binary_t bin(std::string_view s) {
  return json::binary_t(std::vector<uint8_t>(s.begin(), s.end()));
}
std::string str(const json& j) {
  const auto& b = j.get_binary();
  return std::string(b.begin(), b.end());
}

json message_json(const core::Message& m) {
  json j = {
      {"t", m.topic}, {"p", bin(m.payload)}, {"q", m.qos}, {"r", m.retain}, {"ts", m.timestamp_ms}};
  if (m.props.payload_format) j["pf"] = *m.props.payload_format;
  if (m.props.content_type) j["ct"] = *m.props.content_type;
  if (m.props.response_topic) j["rt"] = *m.props.response_topic;
  if (m.props.correlation_data) j["cd"] = bin(*m.props.correlation_data);
  if (!m.props.user_properties.empty()) j["up"] = m.props.user_properties;
  if (m.expires_at) {
    j["x"] = wall_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(*m.expires_at -
                                                                               core::Clock::now())
                             .count();
  }
  return j;
}

core::MessagePtr message_from(const json& j) {
  auto m = std::make_shared<core::Message>();
  m->topic = j.at("t").get<std::string>();
  m->payload = str(j.at("p"));
  m->qos = j.at("q").get<uint8_t>();
  m->retain = j.at("r").get<bool>();
  m->timestamp_ms = j.value("ts", int64_t(0));
  if (j.contains("pf")) m->props.payload_format = j["pf"].get<uint8_t>();
  if (j.contains("ct")) m->props.content_type = j["ct"].get<std::string>();
  if (j.contains("rt")) m->props.response_topic = j["rt"].get<std::string>();
  if (j.contains("cd")) m->props.correlation_data = str(j["cd"]);
  if (j.contains("up")) {
    m->props.user_properties = j["up"].get<std::vector<std::pair<std::string, std::string>>>();
  }
  if (j.contains("x")) {
    m->expires_at =
        core::Clock::now() + std::chrono::milliseconds(j["x"].get<int64_t>() - wall_ms());
  }
  return m;
}

std::string to_bytes(const json& j) {
  auto v = json::to_cbor(j);
  return std::string(v.begin(), v.end());
}

json from_bytes(std::string_view s) { return json::from_cbor(s.begin(), s.end()); }
}  // namespace

std::string encode_message(const core::Message& m) { return to_bytes(message_json(m)); }

core::MessagePtr decode_message(std::string_view bytes) {
  try {
    return message_from(from_bytes(bytes));
  } catch (const std::exception& e) {
    spdlog::warn("mqtt store: undecodable message record: {}", e.what());
    return nullptr;
  }
}

MqttStore::MqttStore(storage::StorageEngine& engine, storage::KvStore& kv, size_t shards, bool sync)
    : kv_(kv), sync_(sync) {
  for (size_t i = 0; i < shards; ++i) {
    streams_.push_back(engine.get_or_create(storage::StreamId{"mqtt", "messages", uint32_t(i)}));
  }
}

void MqttStore::check(const storage::Status& st, const char* what) {
  if (!st.ok()) spdlog::error("mqtt store: {} failed: {}", what, st.message);
}

void MqttStore::append(uint32_t shard, const core::Message& m,
                       std::function<void(const storage::AppendResult&)> done) {
  thread_local RecordScratch scratch;
  to_record(m, scratch);
  streams_[shard]->append(std::span(&scratch.record, 1), std::move(done));
}

void MqttStore::save_session(const PersistedSession& s) {
  json subs = json::array();
  for (auto& [key, sub] : s.subscriptions) {
    const auto& o = sub.options;
    subs.push_back({{"k", key},
                    {"f", sub.filter},
                    {"g", sub.group},
                    {"q", o.qos},
                    {"nl", o.no_local},
                    {"rap", o.retain_as_published},
                    {"rh", o.retain_handling},
                    {"id", o.subscription_id}});
  }
  json j = {{"v", s.version},
            {"e", s.expiry_interval},
            {"d", s.disconnected_at_ms},
            {"u", s.username},
            {"subs", subs}};
  if (s.will) {
    j["w"] = message_json(*s.will);
    j["wd"] = s.will_delay;
  }
  std::vector<storage::KvWrite> batch{
      {storage::KvWrite::Op::Put, kSession + s.client_id, to_bytes(j)}};
  if (!s.cursors.empty()) {
    batch.push_back({storage::KvWrite::Op::Put, kCursor + s.client_id, to_bytes(json(s.cursors))});
  }
  check(kv_.write(batch, sync_), "save session");
}

void MqttStore::save_cursors(const std::vector<std::pair<std::string, Cursors>>& cursors) {
  std::vector<storage::KvWrite> batch;
  batch.reserve(cursors.size());
  for (auto& [cid, c] : cursors) {
    batch.push_back({storage::KvWrite::Op::Put, kCursor + cid, to_bytes(json(c))});
  }
  // Not synced: a cursor that is older than the truth only means more replay, never loss.
  check(kv_.write(batch, false), "save cursors");
}

void MqttStore::delete_session(const std::string& client_id) {
  check(kv_.write({{storage::KvWrite::Op::Delete, kSession + client_id, {}},
                   {storage::KvWrite::Op::Delete, kCursor + client_id, {}}},
                  sync_),
        "delete session");
}

std::vector<PersistedSession> MqttStore::load_sessions() {
  std::vector<PersistedSession> out;
  kv_.scan(kSession, [&](std::string_view key, std::string_view value) {
    try {
      json j = from_bytes(value);
      PersistedSession s;
      s.client_id = std::string(key.substr(kSession.size()));
      s.version = j.at("v").get<int>();
      s.expiry_interval = j.at("e").get<uint32_t>();
      s.disconnected_at_ms = j.at("d").get<int64_t>();
      s.username = j.value("u", "");
      for (auto& sj : j.at("subs")) {
        SessionSubscription sub;
        sub.filter = sj.at("f").get<std::string>();
        sub.group = sj.at("g").get<std::string>();
        sub.options.qos = sj.at("q").get<uint8_t>();
        sub.options.no_local = sj.at("nl").get<bool>();
        sub.options.retain_as_published = sj.at("rap").get<bool>();
        sub.options.retain_handling = sj.at("rh").get<uint8_t>();
        sub.options.subscription_id = sj.at("id").get<uint32_t>();
        s.subscriptions.emplace_back(sj.at("k").get<std::string>(), std::move(sub));
      }
      if (j.contains("w")) {
        s.will = message_from(j["w"]);
        s.will_delay = j.value("wd", 0u);
      }
      if (auto c = kv_.get(kCursor + s.client_id)) s.cursors = from_bytes(*c).get<Cursors>();
      out.push_back(std::move(s));
    } catch (const std::exception& e) {
      spdlog::warn("mqtt store: skipping undecodable session {}: {}", key, e.what());
    }
    return true;
  });
  return out;
}

void MqttStore::put_retained(const core::Message& m) {
  if (m.payload.empty()) {
    check(kv_.del(kRetained + m.topic, sync_), "delete retained");
  } else {
    check(kv_.put(kRetained + m.topic, encode_message(m), sync_), "put retained");
  }
}

void MqttStore::load_retained(const std::function<void(core::MessagePtr)>& fn) {
  kv_.scan(kRetained, [&](std::string_view, std::string_view value) {
    if (auto m = decode_message(value)) fn(std::move(m));
    return true;
  });
}

std::string MqttStore::put_delayed(int64_t due_wall_ms, const core::Message& m) {
  static std::atomic<uint64_t> seq{0};
  char key[64];
  snprintf(key, sizeof key, "%s%016llx-%08llx", kDelayed.c_str(),
           static_cast<unsigned long long>(due_wall_ms), static_cast<unsigned long long>(++seq));
  json j = {{"due", due_wall_ms}, {"m", message_json(m)}};
  check(kv_.put(key, to_bytes(j), sync_), "put delayed");
  return key;
}

void MqttStore::delete_delayed(const std::string& key) {
  check(kv_.del(key, false), "delete delayed");
}

void MqttStore::load_delayed(
    const std::function<void(std::string, int64_t, core::MessagePtr)>& fn) {
  kv_.scan(kDelayed, [&](std::string_view key, std::string_view value) {
    try {
      json j = from_bytes(value);
      fn(std::string(key), j.at("due").get<int64_t>(), message_from(j.at("m")));
    } catch (const std::exception& e) {
      spdlog::warn("mqtt store: skipping undecodable delayed message {}: {}", key, e.what());
    }
    return true;
  });
}

Cursors MqttStore::latest_offsets() {
  Cursors c;
  for (size_t i = 0; i < streams_.size(); ++i) c[uint32_t(i)] = streams_[i]->latest_offset();
  return c;
}

}  // namespace unimq::mqtt
