#include "protocol/amqp/broker/message.h"

#include <charconv>

namespace unimq::amqp {
namespace {

bool get_u8(std::string_view& in, uint8_t& v) {
  if (in.empty()) return false;
  v = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  return true;
}
bool get_u64(std::string_view& in, uint64_t& v) {
  if (in.size() < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  in.remove_prefix(8);
  return true;
}
bool get_short(std::string_view& in, std::optional<std::string>& v) {
  uint8_t n;
  if (!get_u8(in, n) || in.size() < n) return false;
  v.emplace(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}
void put_short(std::string& o, const std::optional<std::string>& v) {
  const size_t n = std::min<size_t>(v->size(), 255);
  o.push_back(static_cast<char>(n));
  o.append(*v, 0, n);
}

}  // namespace

bool decode_properties(std::string_view in, BasicProperties& p) {
  if (in.size() < 2) return false;
  uint16_t flags =
      static_cast<uint16_t>((static_cast<uint8_t>(in[0]) << 8) | static_cast<uint8_t>(in[1]));
  in.remove_prefix(2);
  // Continuation words (never used by basic) are skipped.
  uint16_t more = flags;
  while (more & 1) {
    if (in.size() < 2) return false;
    more = static_cast<uint16_t>((static_cast<uint8_t>(in[0]) << 8) | static_cast<uint8_t>(in[1]));
    in.remove_prefix(2);
  }
  auto bit = [&](int b) { return (flags & (1u << b)) != 0; };
  if (bit(15) && !get_short(in, p.content_type)) return false;
  if (bit(14) && !get_short(in, p.content_encoding)) return false;
  if (bit(13)) {
    p.headers.emplace();
    if (!decode_table(in, *p.headers)) return false;
  }
  uint8_t b;
  if (bit(12)) {
    if (!get_u8(in, b)) return false;
    p.delivery_mode = b;
  }
  if (bit(11)) {
    if (!get_u8(in, b)) return false;
    p.priority = b;
  }
  if (bit(10) && !get_short(in, p.correlation_id)) return false;
  if (bit(9) && !get_short(in, p.reply_to)) return false;
  if (bit(8) && !get_short(in, p.expiration)) return false;
  if (bit(7) && !get_short(in, p.message_id)) return false;
  if (bit(6)) {
    uint64_t t;
    if (!get_u64(in, t)) return false;
    p.timestamp = t;
  }
  if (bit(5) && !get_short(in, p.type)) return false;
  if (bit(4) && !get_short(in, p.user_id)) return false;
  if (bit(3) && !get_short(in, p.app_id)) return false;
  if (bit(2) && !get_short(in, p.cluster_id)) return false;
  return true;
}

std::string encode_properties(const BasicProperties& p) {
  uint16_t flags = 0;
  std::string o = "\0\0";
  o.resize(2);
  auto sh = [&](int b, const std::optional<std::string>& v) {
    if (!v) return;
    flags |= static_cast<uint16_t>(1u << b);
    put_short(o, v);
  };
  sh(15, p.content_type);
  sh(14, p.content_encoding);
  if (p.headers) {
    flags |= 1u << 13;
    encode_table(*p.headers, o);
  }
  if (p.delivery_mode) {
    flags |= 1u << 12;
    o.push_back(static_cast<char>(*p.delivery_mode));
  }
  if (p.priority) {
    flags |= 1u << 11;
    o.push_back(static_cast<char>(*p.priority));
  }
  sh(10, p.correlation_id);
  sh(9, p.reply_to);
  sh(8, p.expiration);
  sh(7, p.message_id);
  if (p.timestamp) {
    flags |= 1u << 6;
    for (int i = 7; i >= 0; --i) o.push_back(static_cast<char>((*p.timestamp >> (8 * i)) & 0xff));
  }
  sh(5, p.type);
  sh(4, p.user_id);
  sh(3, p.app_id);
  sh(2, p.cluster_id);
  o[0] = static_cast<char>(flags >> 8);
  o[1] = static_cast<char>(flags & 0xff);
  return o;
}

ArgTable Message::headers() const {
  BasicProperties p;
  if (!has_headers || !decode_properties(properties, p) || !p.headers) return {};
  return std::move(*p.headers);
}

namespace {

// Fills the decoded fields; false on a malformed expiration.
bool fill(Message& m, const BasicProperties& p, std::string* error) {
  m.delivery_mode = p.delivery_mode.value_or(0);
  m.priority = p.priority.value_or(0);
  m.has_headers = p.headers.has_value();
  if (p.expiration) {
    int64_t ms = -1;
    const char* b = p.expiration->data();
    const char* e = b + p.expiration->size();
    auto [ptr, ec] = std::from_chars(b, e, ms);
    if (ec != std::errc() || ptr != e || ms < 0) {
      if (error) *error = "invalid expiration '" + *p.expiration + "'";
      return false;
    }
    m.expiration_ms = ms;
  }
  return true;
}

}  // namespace

MessagePtr make_message(std::string exchange, std::string routing_key, std::string properties,
                        std::string body, std::string* error) {
  BasicProperties p;
  if (properties.empty()) properties.assign(2, '\0');
  if (!decode_properties(properties, p)) {
    if (error) *error = "malformed content header properties";
    return nullptr;
  }
  auto m = std::make_shared<Message>();
  if (!fill(*m, p, error)) return nullptr;
  m->exchange = std::move(exchange);
  m->routing_key = std::move(routing_key);
  m->properties = std::move(properties);
  m->body = std::move(body);
  return m;
}

MessagePtr make_message(std::string exchange, std::string routing_key, const BasicProperties& props,
                        std::string body) {
  auto m = std::make_shared<Message>();
  if (!fill(*m, props, nullptr)) m->expiration_ms.reset();
  m->exchange = std::move(exchange);
  m->routing_key = std::move(routing_key);
  m->properties = encode_properties(props);
  m->body = std::move(body);
  return m;
}

}  // namespace unimq::amqp
