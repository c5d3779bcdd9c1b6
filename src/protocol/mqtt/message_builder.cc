#include "protocol/mqtt/message_builder.h"

#include <chrono>

#include "core/clock.h"

namespace unimq::mqtt {

namespace {
using core::wall_ms;

void copy_props(const Properties& in, core::Message& m) {
  m.props.payload_format = in.payload_format_indicator;
  m.props.content_type = in.content_type;
  m.props.response_topic = in.response_topic;
  m.props.correlation_data = in.correlation_data;
  m.props.user_properties = in.user_properties;
  if (in.message_expiry_interval) {
    m.expires_at = core::Clock::now() + std::chrono::seconds(*in.message_expiry_interval);
  }
}
}  // namespace

std::shared_ptr<core::Message> build_message(const Publish& p, std::string topic,
                                             uint64_t origin_session,
                                             const std::string& origin_client) {
  auto m = std::make_shared<core::Message>();
  m->topic = std::move(topic);
  m->payload.assign(p.payload.data(), p.payload.size());
  m->qos = p.qos;
  m->retain = p.retain;
  copy_props(p.props, *m);
  m->timestamp_ms = wall_ms();
  m->origin_session = origin_session;
  m->origin_client = origin_client;
  return m;
}

core::MessagePtr build_will_message(const Will& w, uint64_t origin_session,
                                    const std::string& origin_client) {
  auto m = std::make_shared<core::Message>();
  m->topic = w.topic;
  m->payload = w.payload;
  m->qos = w.qos;
  m->retain = w.retain;
  copy_props(w.props, *m);
  m->timestamp_ms = wall_ms();
  m->origin_session = origin_session;
  m->origin_client = origin_client;
  return m;
}

}  // namespace unimq::mqtt
