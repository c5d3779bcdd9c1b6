#include "protocol/mqtt/persistence/message_record.h"

#include <chrono>

#include <charconv>
#include "core/clock.h"

namespace unimq::mqtt {

namespace {
constexpr std::string_view kPrefix = "$mqtt.";

using core::wall_ms;

int64_t to_int(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}
}  // namespace

void to_record(const core::Message& m, RecordScratch& out) {
  out.owned.clear();
  out.owned.reserve(4);
  auto& r = out.record;
  r.headers.clear();
  r.key = m.topic;
  r.value = m.payload;
  r.timestamp_ms = m.timestamp_ms;
  auto own = [&](std::string s) -> std::string_view {
    out.owned.push_back(std::move(s));
    return out.owned.back();
  };
  static const std::string qos_names[] = {"0", "1", "2"};
  r.headers.emplace_back("$mqtt.qos", qos_names[m.qos & 3]);
  if (m.retain) r.headers.emplace_back("$mqtt.retain", "1");
  if (m.props.payload_format) {
    r.headers.emplace_back("$mqtt.pfi", *m.props.payload_format ? "1" : "0");
  }
  if (m.props.content_type) r.headers.emplace_back("$mqtt.content_type", *m.props.content_type);
  if (m.props.response_topic) {
    r.headers.emplace_back("$mqtt.response_topic", *m.props.response_topic);
  }
  if (m.props.correlation_data) {
    r.headers.emplace_back("$mqtt.correlation_data", *m.props.correlation_data);
  }
  if (m.expires_at) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(*m.expires_at - core::Clock::now());
    r.headers.emplace_back("$mqtt.expiry_ms", own(std::to_string(wall_ms() + left.count())));
  }
  for (auto& [k, v] : m.props.user_properties) r.headers.emplace_back(k, v);
  // owned may not reallocate after views were taken: reserve(4) covers the one use above.
}

core::MessagePtr from_record(const storage::Record& r) {
  if (!r.key) return nullptr;
  auto m = std::make_shared<core::Message>();
  m->topic = *r.key;
  m->payload = r.value.value_or("");
  m->timestamp_ms = r.timestamp_ms;
  m->qos = 1;
  for (const auto& h : r.headers) {
    std::string_view k = h.key;
    if (!k.starts_with(kPrefix)) {
      m->props.user_properties.emplace_back(h.key, h.value);
      continue;
    }
    k.remove_prefix(kPrefix.size());
    if (k == "qos") {
      m->qos = static_cast<uint8_t>(to_int(h.value) & 3);
    } else if (k == "retain") {
      m->retain = h.value == "1";
    } else if (k == "pfi") {
      m->props.payload_format = static_cast<uint8_t>(to_int(h.value));
    } else if (k == "content_type") {
      m->props.content_type = h.value;
    } else if (k == "response_topic") {
      m->props.response_topic = h.value;
    } else if (k == "correlation_data") {
      m->props.correlation_data = h.value;
    } else if (k == "expiry_ms") {
      auto left = std::chrono::milliseconds(to_int(h.value) - wall_ms());
      m->expires_at = core::Clock::now() + left;
    }
  }
  return m;
}

}  // namespace unimq::mqtt
