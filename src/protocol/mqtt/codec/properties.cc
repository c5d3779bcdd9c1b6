#include "protocol/mqtt/codec/properties.h"

#include "protocol/mqtt/codec/wire_reader.h"
#include "protocol/mqtt/codec/wire_writer.h"

namespace unimq::mqtt {
namespace {

namespace id {
constexpr uint8_t PayloadFormatIndicator = 0x01;
constexpr uint8_t MessageExpiryInterval = 0x02;
constexpr uint8_t ContentType = 0x03;
constexpr uint8_t ResponseTopic = 0x08;
constexpr uint8_t CorrelationData = 0x09;
constexpr uint8_t SubscriptionIdentifier = 0x0B;
constexpr uint8_t SessionExpiryInterval = 0x11;
constexpr uint8_t AssignedClientIdentifier = 0x12;
constexpr uint8_t ServerKeepAlive = 0x13;
constexpr uint8_t AuthenticationMethod = 0x15;
constexpr uint8_t AuthenticationData = 0x16;
constexpr uint8_t RequestProblemInformation = 0x17;
constexpr uint8_t WillDelayInterval = 0x18;
constexpr uint8_t RequestResponseInformation = 0x19;
constexpr uint8_t ResponseInformation = 0x1A;
constexpr uint8_t ServerReference = 0x1C;
constexpr uint8_t ReasonString = 0x1F;
constexpr uint8_t ReceiveMaximum = 0x21;
constexpr uint8_t TopicAliasMaximum = 0x22;
constexpr uint8_t TopicAlias = 0x23;
constexpr uint8_t MaximumQoS = 0x24;
constexpr uint8_t RetainAvailable = 0x25;
constexpr uint8_t UserProperty = 0x26;
constexpr uint8_t MaximumPacketSize = 0x27;
constexpr uint8_t WildcardSubscriptionAvailable = 0x28;
constexpr uint8_t SubscriptionIdentifierAvailable = 0x29;
constexpr uint8_t SharedSubscriptionAvailable = 0x2A;
}  // namespace id

constexpr uint64_t bits(std::initializer_list<uint8_t> ids) {
  uint64_t m = 0;
  for (uint8_t i : ids) m |= uint64_t{1} << i;
  return m;
}

constexpr uint64_t kMessage = bits({id::PayloadFormatIndicator, id::MessageExpiryInterval,
                                    id::ContentType, id::ResponseTopic, id::CorrelationData});
constexpr uint64_t kUser = bits({id::UserProperty});
constexpr uint64_t kReasonString = bits({id::ReasonString}) | kUser;
constexpr uint64_t kAuth = bits({id::AuthenticationMethod, id::AuthenticationData});

// MQTT 5.0 section 2.2.2.2, indexed by PropCtx.
constexpr uint64_t kAllowed[] = {
    /*Connect*/ kUser | kAuth |
        bits({id::SessionExpiryInterval, id::RequestProblemInformation,
              id::RequestResponseInformation, id::ReceiveMaximum, id::TopicAliasMaximum,
              id::MaximumPacketSize}),
    /*Will*/ kUser | kMessage | bits({id::WillDelayInterval}),
    /*Connack*/ kReasonString | kAuth |
        bits({id::SessionExpiryInterval, id::AssignedClientIdentifier, id::ServerKeepAlive,
              id::ResponseInformation, id::ServerReference, id::ReceiveMaximum,
              id::TopicAliasMaximum, id::MaximumQoS, id::RetainAvailable, id::MaximumPacketSize,
              id::WildcardSubscriptionAvailable, id::SubscriptionIdentifierAvailable,
              id::SharedSubscriptionAvailable}),
    /*Publish*/ kUser | kMessage | bits({id::SubscriptionIdentifier, id::TopicAlias}),
    /*Ack*/ kReasonString,
    /*Subscribe*/ kUser | bits({id::SubscriptionIdentifier}),
    /*Suback*/ kReasonString,
    /*Unsubscribe*/ kUser,
    /*Unsuback*/ kReasonString,
    /*Disconnect*/ kReasonString | bits({id::SessionExpiryInterval, id::ServerReference}),
    /*Auth*/ kReasonString | kAuth,
};

bool read_flag(WireReader& r, std::optional<uint8_t>& out) {
  uint8_t v;
  if (!r.u8(v)) return false;
  if (v > 1) return r.protocol_error("property value must be 0 or 1");
  out = v;
  return true;
}

bool read_u16(WireReader& r, std::optional<uint16_t>& out) {
  uint16_t v;
  if (!r.u16(v)) return false;
  out = v;
  return true;
}

bool read_u32(WireReader& r, std::optional<uint32_t>& out) {
  uint32_t v;
  if (!r.u32(v)) return false;
  out = v;
  return true;
}

bool read_utf8(WireReader& r, std::optional<std::string>& out) { return r.utf8(out.emplace()); }

bool read_binary(WireReader& r, std::optional<std::string>& out) { return r.binary(out.emplace()); }

bool read_one(WireReader& r, uint32_t pid, Properties& p) {
  switch (pid) {
    case id::PayloadFormatIndicator:
      return read_flag(r, p.payload_format_indicator);
    case id::MessageExpiryInterval:
      return read_u32(r, p.message_expiry_interval);
    case id::ContentType:
      return read_utf8(r, p.content_type);
    case id::ResponseTopic:
      return read_utf8(r, p.response_topic);
    case id::CorrelationData:
      return read_binary(r, p.correlation_data);
    case id::SubscriptionIdentifier: {
      uint32_t v;
      if (!r.varint(v)) return false;
      if (v == 0) return r.protocol_error("subscription identifier 0");
      p.subscription_identifiers.push_back(v);
      return true;
    }
    case id::SessionExpiryInterval:
      return read_u32(r, p.session_expiry_interval);
    case id::AssignedClientIdentifier:
      return read_utf8(r, p.assigned_client_identifier);
    case id::ServerKeepAlive:
      return read_u16(r, p.server_keep_alive);
    case id::AuthenticationMethod:
      return read_utf8(r, p.authentication_method);
    case id::AuthenticationData:
      return read_binary(r, p.authentication_data);
    case id::RequestProblemInformation:
      return read_flag(r, p.request_problem_information);
    case id::WillDelayInterval:
      return read_u32(r, p.will_delay_interval);
    case id::RequestResponseInformation:
      return read_flag(r, p.request_response_information);
    case id::ResponseInformation:
      return read_utf8(r, p.response_information);
    case id::ServerReference:
      return read_utf8(r, p.server_reference);
    case id::ReasonString:
      return read_utf8(r, p.reason_string);
    case id::ReceiveMaximum:
      if (!read_u16(r, p.receive_maximum)) return false;
      return *p.receive_maximum != 0 || r.protocol_error("receive maximum 0");
    case id::TopicAliasMaximum:
      return read_u16(r, p.topic_alias_maximum);
    case id::TopicAlias:
      if (!read_u16(r, p.topic_alias)) return false;
      return *p.topic_alias != 0 || r.fail(reason::TopicAliasInvalid, "topic alias 0");
    case id::MaximumQoS:
      return read_flag(r, p.maximum_qos);
    case id::RetainAvailable:
      return read_flag(r, p.retain_available);
    case id::UserProperty: {
      auto& kv = p.user_properties.emplace_back();
      return r.utf8(kv.first) && r.utf8(kv.second);
    }
    case id::MaximumPacketSize:
      if (!read_u32(r, p.maximum_packet_size)) return false;
      return *p.maximum_packet_size != 0 || r.protocol_error("maximum packet size 0");
    case id::WildcardSubscriptionAvailable:
      return read_flag(r, p.wildcard_subscription_available);
    case id::SubscriptionIdentifierAvailable:
      return read_flag(r, p.subscription_identifier_available);
    case id::SharedSubscriptionAvailable:
      return read_flag(r, p.shared_subscription_available);
  }
  return r.malformed("unknown property identifier");  // unreachable: filtered by kAllowed
}

// Emits every property of p allowed by mask, in identifier order. Shared by sizing and writing.
template <class S>
void emit(const Properties& p, uint64_t mask, bool multi_sub_id, S& s) {
  auto on = [mask](uint8_t i) { return (mask >> i) & 1; };
  auto byte = [&](uint8_t i, const std::optional<uint8_t>& v) {
    if (v && on(i)) {
      s.u8(i);
      s.u8(*v);
    }
  };
  auto two = [&](uint8_t i, const std::optional<uint16_t>& v) {
    if (v && on(i)) {
      s.u8(i);
      s.u16(*v);
    }
  };
  auto four = [&](uint8_t i, const std::optional<uint32_t>& v) {
    if (v && on(i)) {
      s.u8(i);
      s.u32(*v);
    }
  };
  auto str = [&](uint8_t i, const std::optional<std::string>& v) {
    if (v && on(i)) {
      s.u8(i);
      s.str(*v);
    }
  };
  byte(id::PayloadFormatIndicator, p.payload_format_indicator);
  four(id::MessageExpiryInterval, p.message_expiry_interval);
  str(id::ContentType, p.content_type);
  str(id::ResponseTopic, p.response_topic);
  str(id::CorrelationData, p.correlation_data);
  if (on(id::SubscriptionIdentifier)) {
    for (uint32_t v : p.subscription_identifiers) {
      s.u8(id::SubscriptionIdentifier);
      s.varint(v);
      if (!multi_sub_id) break;
    }
  }
  four(id::SessionExpiryInterval, p.session_expiry_interval);
  str(id::AssignedClientIdentifier, p.assigned_client_identifier);
  two(id::ServerKeepAlive, p.server_keep_alive);
  str(id::AuthenticationMethod, p.authentication_method);
  str(id::AuthenticationData, p.authentication_data);
  byte(id::RequestProblemInformation, p.request_problem_information);
  four(id::WillDelayInterval, p.will_delay_interval);
  byte(id::RequestResponseInformation, p.request_response_information);
  str(id::ResponseInformation, p.response_information);
  str(id::ServerReference, p.server_reference);
  str(id::ReasonString, p.reason_string);
  two(id::ReceiveMaximum, p.receive_maximum);
  two(id::TopicAliasMaximum, p.topic_alias_maximum);
  two(id::TopicAlias, p.topic_alias);
  byte(id::MaximumQoS, p.maximum_qos);
  byte(id::RetainAvailable, p.retain_available);
  four(id::MaximumPacketSize, p.maximum_packet_size);
  byte(id::WildcardSubscriptionAvailable, p.wildcard_subscription_available);
  byte(id::SubscriptionIdentifierAvailable, p.subscription_identifier_available);
  byte(id::SharedSubscriptionAvailable, p.shared_subscription_available);
  if (on(id::UserProperty)) {
    for (const auto& [k, v] : p.user_properties) {
      s.u8(id::UserProperty);
      s.str(k);
      s.str(v);
    }
  }
}

}  // namespace

bool properties_empty(const Properties& p) {
  return !p.payload_format_indicator && !p.message_expiry_interval && !p.content_type &&
         !p.response_topic && !p.correlation_data && p.subscription_identifiers.empty() &&
         !p.session_expiry_interval && !p.assigned_client_identifier && !p.server_keep_alive &&
         !p.authentication_method && !p.authentication_data && !p.request_problem_information &&
         !p.will_delay_interval && !p.request_response_information && !p.response_information &&
         !p.server_reference && !p.reason_string && !p.receive_maximum && !p.topic_alias_maximum &&
         !p.topic_alias && !p.maximum_qos && !p.retain_available && p.user_properties.empty() &&
         !p.maximum_packet_size && !p.wildcard_subscription_available &&
         !p.subscription_identifier_available && !p.shared_subscription_available;
}

uint64_t allowed_properties(PropCtx ctx) { return kAllowed[static_cast<size_t>(ctx)]; }

bool read_properties(WireReader& r, PropCtx ctx, Properties& out) {
  uint32_t len;
  if (!r.varint(len)) return false;
  WireReader pr = r;
  if (!r.sub(len, pr)) return false;
  const uint64_t allowed = allowed_properties(ctx);
  uint64_t repeatable = bits({id::UserProperty});
  if (ctx == PropCtx::Publish) repeatable |= bits({id::SubscriptionIdentifier});
  uint64_t seen = 0;
  while (!pr.at_end()) {
    uint32_t pid;
    if (!pr.varint(pid)) return false;
    if (pid >= 64 || !((allowed >> pid) & 1)) {
      return pr.malformed("property identifier not allowed in this packet");
    }
    const uint64_t bit = uint64_t{1} << pid;
    if ((seen & bit) && !(repeatable & bit)) return pr.protocol_error("duplicate property");
    seen |= bit;
    if (!read_one(pr, pid, out)) return false;
  }
  if (out.authentication_data && !out.authentication_method) {
    return r.protocol_error("authentication data without authentication method");
  }
  return true;
}

size_t properties_length(const Properties& p, PropCtx ctx) {
  if (properties_empty(p)) return 0;  // the common case on the hot path
  SizeSink s;
  emit(p, allowed_properties(ctx), ctx == PropCtx::Publish, s);
  return s.size();
}

uint8_t* write_properties(const Properties& p, PropCtx ctx, uint8_t* dst) {
  if (properties_empty(p)) {
    *dst = 0;
    return dst + 1;
  }
  PtrSink s(dst);
  s.varint(static_cast<uint32_t>(properties_length(p, ctx)));
  emit(p, allowed_properties(ctx), ctx == PropCtx::Publish, s);
  return s.pos();
}

}  // namespace unimq::mqtt
