#include "protocol/amqp/session/amqp_connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "net/event_loop.h"
#include "protocol/amqp/handlers/dispatch.h"
#include "protocol/amqp/handlers/handlers.h"
#include "protocol/amqp/session/server_context.h"

namespace unimq::amqp {

using codec::FrameStatus;
using codec::FrameType;

AmqpConnection::AmqpConnection(ServerContext& server, net::Connection& conn)
    : server_(server),
      conn_(conn),
      channel_max_(server.options().channel_max),
      frame_max_(server.options().frame_max) {
  server_.add(this);
  link_ = std::make_shared<ConnectionLink>();
  link_->loop = &conn_.loop();
  link_->conn = this;
  server_.metrics().connections.add(1);
  last_recv_ms_ = last_send_ms_ = now_ms();
  // A client that does not finish the handshake in time is dropped (RabbitMQ: 10 s).
  timer_.arm(conn_.loop(), std::chrono::milliseconds(server.options().handshake_timeout_ms),
             [this] {
               if (state_ == State::Opened) return;
               spdlog::info("amqp {}: handshake timeout", conn_.peer());
               conn_.abort();
             });
}

AmqpConnection::~AmqpConnection() {
  link_->conn = nullptr;
  server_.remove(this);
  server_.metrics().connections.add(-1);
  server_.metrics().channels.add(-static_cast<int64_t>(channels_.size()));
}

int64_t AmqpConnection::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

size_t AmqpConnection::on_data(std::span<const uint8_t> data) {
  last_recv_ms_ = now_ms();
  dispatching_ = true;
  size_t used = 0;
  if (state_ == State::Header) {
    switch (codec::check_protocol_header(data)) {
      case codec::HeaderCheck::NeedMore:
        dispatching_ = false;
        return 0;
      case codec::HeaderCheck::Mismatch:
        // As RabbitMQ: answer with the header we speak, then close.
        spdlog::info("amqp {}: bad protocol header", conn_.peer());
        conn_.send(codec::kProtocolHeader);
        conn_.close();
        dispatching_ = false;
        return data.size();
      case codec::HeaderCheck::Ok:
        used = codec::kProtocolHeader.size();
        send_start();
        state_ = State::StartOk;
        break;
    }
  }
  while (conn_.is_open() && used < data.size()) {
    const auto r = codec::decode_frame(data.subspan(used), frame_max_);
    if (r.status == FrameStatus::NeedMore) break;
    if (r.status == FrameStatus::Malformed) {
      frame_error(r.error);
      used = data.size();
      break;
    }
    used += r.consumed;
    handle_frame(r.frame);
  }
  flush_confirms();
  dispatching_ = false;
  flush();
  return used;
}

void AmqpConnection::on_closed() {
  timer_.cancel();
  link_->conn = nullptr;
  for (auto& [id, ch] : channels_)
    if (ch->state != Channel::State::Closing) handlers::channel_closed(*this, *ch);
  handlers::connection_closed(*this);
}

void AmqpConnection::schedule_confirms(uint16_t channel) {
  if (std::find(confirm_channels_.begin(), confirm_channels_.end(), channel) ==
      confirm_channels_.end())
    confirm_channels_.push_back(channel);
  if (dispatching_ || confirms_posted_) return;  // on_data flushes them when it returns
  confirms_posted_ = true;
  conn_.loop().post([link = link_] {
    if (AmqpConnection* self = link->conn) {
      self->confirms_posted_ = false;
      self->flush_confirms();
      self->flush();
    }
  });
}

void AmqpConnection::flush_confirms() {
  auto ids = std::move(confirm_channels_);
  confirm_channels_.clear();
  const bool was = dispatching_;
  dispatching_ = true;  // batch the acks into one write
  for (uint16_t id : ids)
    if (Channel* ch = channel(id); ch && ch->state == Channel::State::Open)
      handlers::emit_confirms(*this, *ch);
  dispatching_ = was;
}

void AmqpConnection::maybe_flush() {
  if (!dispatching_) flush();
}

void AmqpConnection::flush() {
  if (out_.empty()) return;
  conn_.send(out_);
  out_.clear();
  last_send_ms_ = now_ms();
  if (conn_.congested()) link_->congested.store(true, std::memory_order_relaxed);
}

void AmqpConnection::send_start() {
  codec::ConnectionStart start;
  start.server_properties = handlers::server_properties();
  start.mechanisms = "PLAIN AMQPLAIN";
  start.locales = "en_US";
  send_method(0, start);
}

void AmqpConnection::frame_error(const char* why) {
  spdlog::warn("amqp {}: frame error: {}", conn_.peer(), why);
  server_.metrics().protocol_errors.inc();
  // The stream cannot be resynchronised: send the close and drop the connection.
  codec::ConnectionClose c;
  c.reply_code = codec::kFrameError;
  c.reply_text = std::string("FRAME_ERROR - ") + why;
  send_method(0, c);
  flush();
  state_ = State::Closing;
  conn_.close();
}

void AmqpConnection::handle_frame(const codec::Frame& f) {
  if (state_ == State::Closing && f.type != FrameType::Method) return;
  switch (f.type) {
    case FrameType::Heartbeat:
      if (f.channel != 0) frame_error("heartbeat frame on a non-zero channel");
      return;
    case FrameType::Method:
      return handle_method(f.channel, f.payload);
    case FrameType::Header:
    case FrameType::Body: {
      Channel* ch = f.channel ? channel(f.channel) : nullptr;
      if (!ch) {
        return close_connection(codec::kUnexpectedFrame,
                                "UNEXPECTED_FRAME - content frame on channel " +
                                    std::to_string(f.channel) + " that is not open");
      }
      if (ch->state == Channel::State::Closing) return;
      if (f.type == FrameType::Header) return handle_header(*ch, f.payload);
      return handle_body(*ch, f.payload);
    }
  }
}

void AmqpConnection::handle_method(uint16_t channel_id, std::span<const uint8_t> payload) {
  codec::Reader r(payload.data(), payload.size());
  codec::Method m;
  bool unknown = false;
  if (!codec::decode_method(r, m, &unknown)) {
    if (state_ == State::Closing) return;
    if (unknown)
      return close_connection(codec::kNotImplemented,
                              "NOT_IMPLEMENTED - unknown class or method id");
    return close_connection(codec::kSyntaxError,
                            std::string("SYNTAX_ERROR - malformed method: ") + r.error());
  }
  const uint16_t class_id = codec::method_class_id(m);
  if (state_ == State::Closing) {
    // Only close / close-ok matter while we wait for the client's close-ok.
    if (class_id == codec::kClassConnection && channel_id == 0)
      handlers::dispatch_connection(*this, m);
    return;
  }
  if (class_id == codec::kClassConnection) {
    if (channel_id != 0)
      return close_connection(codec::kCommandInvalid,
                              "COMMAND_INVALID - connection method on a non-zero channel", class_id,
                              codec::method_id(m));
    return handlers::dispatch_connection(*this, m);
  }
  if (state_ != State::Opened)
    return close_connection(codec::kChannelError, "CHANNEL_ERROR - connection not open", class_id,
                            codec::method_id(m));
  if (channel_id == 0)
    return close_connection(codec::kCommandInvalid, "COMMAND_INVALID - channel method on channel 0",
                            class_id, codec::method_id(m));
  if (class_id == codec::kClassChannel) return handlers::dispatch_channel(*this, channel_id, m);
  Channel* ch = channel(channel_id);
  if (!ch)
    return close_connection(
        codec::kChannelError,
        "CHANNEL_ERROR - expected 'channel.open' on channel " + std::to_string(channel_id),
        class_id, codec::method_id(m));
  if (ch->state == Channel::State::Closing) return;
  if (ch->content != Channel::Content::None)
    return close_connection(codec::kUnexpectedFrame,
                            "UNEXPECTED_FRAME - method frame while content was expected", class_id,
                            codec::method_id(m));
  handlers::dispatch_channel_method(*this, *ch, m);
}

void AmqpConnection::handle_header(Channel& ch, std::span<const uint8_t> payload) {
  if (ch.content != Channel::Content::Header)
    return close_connection(codec::kUnexpectedFrame,
                            "UNEXPECTED_FRAME - content header without basic.publish");
  codec::ContentHeader h;
  const char* why = "";
  if (!codec::decode_content_header(payload, h, &why))
    return close_connection(codec::kSyntaxError,
                            std::string("SYNTAX_ERROR - malformed content header: ") + why);
  if (h.class_id != codec::kClassBasic)
    return close_connection(codec::kFrameError, "FRAME_ERROR - content header class mismatch");
  // As RabbitMQ: a user-id property must name the authenticated user.
  if (h.properties.user_id && *h.properties.user_id != user_) {
    ch.content = Channel::Content::None;
    return close_channel(ch, codec::kPreconditionFailed,
                         "PRECONDITION_FAILED - user_id property set to '" + *h.properties.user_id +
                             "' but authenticated user was '" + user_ + "'",
                         codec::kClassBasic, codec::BasicPublish::kMethodId);
  }
  ch.body_size = h.body_size;
  // Keep the raw property flags + list (after class, weight, body size) for the model.
  ch.properties.assign(reinterpret_cast<const char*>(payload.data()) + 12, payload.size() - 12);
  ch.body.clear();
  if (h.body_size == 0) return content_complete(ch);
  if (h.body_size <= (64u << 20)) ch.body.reserve(static_cast<size_t>(h.body_size));
  ch.content = Channel::Content::Body;
}

void AmqpConnection::handle_body(Channel& ch, std::span<const uint8_t> payload) {
  if (ch.content != Channel::Content::Body)
    return close_connection(codec::kUnexpectedFrame,
                            "UNEXPECTED_FRAME - body frame without content header");
  if (ch.body.size() + payload.size() > ch.body_size)
    return close_connection(codec::kFrameError,
                            "FRAME_ERROR - body larger than the content header said");
  ch.body.append(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (ch.body.size() == ch.body_size) content_complete(ch);
}

void AmqpConnection::content_complete(Channel& ch) {
  ch.content = Channel::Content::None;
  server_.metrics().published.inc();
  handlers::publish_complete(*this, ch);
}

void AmqpConnection::send_content_frames(uint16_t channel, const MessagePtr& msg) {
  {
    codec::Writer w(out_);
    codec::write_frame_header(w, FrameType::Header, channel,
                              static_cast<uint32_t>(12 + msg->properties.size()));
    w.u16(codec::kClassBasic);
    w.u16(0);
    w.u64(msg->body.size());
    w.raw(msg->properties);
    codec::write_frame_end(w);
  }
  const std::string& body = msg->body;
  const size_t chunk = codec::body_chunk_size(frame_max_);
  constexpr size_t kCopyBelow = 16 * 1024;  // small bodies: one copy beats an extra iovec
  codec::Writer w(out_);
  for (size_t at = 0; at < body.size(); at += chunk) {
    const size_t n = std::min(chunk, body.size() - at);
    codec::write_frame_header(w, FrameType::Body, channel, static_cast<uint32_t>(n));
    if (n < kCopyBelow) {
      w.raw(std::string_view(body).substr(at, n));
    } else {
      conn_.send(out_);
      out_.clear();
      conn_.send_shared(reinterpret_cast<const uint8_t*>(body.data()) + at, n, msg);
    }
    codec::write_frame_end(w);
  }
  server_.metrics().delivered.inc();
  maybe_flush();
  if (conn_.congested()) link_->congested.store(true, std::memory_order_relaxed);
}

void AmqpConnection::on_drain() {
  link_->congested.store(false, std::memory_order_relaxed);
  handlers::connection_drained(*this);
}

void AmqpConnection::close_connection(uint16_t code, std::string text, uint16_t class_id,
                                      uint16_t method_id) {
  if (state_ == State::Closing) return;
  spdlog::warn("amqp {} (vhost '{}', user '{}'): closing connection: {} {}", conn_.peer(), vhost_,
               user_, code, text);
  if (code != 0 && code != codec::kReplySuccess && code != codec::kConnectionForced)
    server_.metrics().protocol_errors.inc();
  codec::ConnectionClose c;
  c.reply_code = code;
  c.reply_text = std::move(text);
  c.class_id = class_id;
  c.method_id = method_id;
  send_method(0, c);
  state_ = State::Closing;
  // A client that never answers close-ok is dropped.
  timer_.arm(conn_.loop(), std::chrono::seconds(3), [this] { conn_.abort(); });
}

void AmqpConnection::force_close() {
  close_connection(codec::kConnectionForced,
                   "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'");
  flush();
}

void AmqpConnection::close_channel(Channel& ch, uint16_t code, std::string text, uint16_t class_id,
                                   uint16_t method_id) {
  if (ch.state == Channel::State::Closing) return;
  spdlog::info("amqp {} channel {}: closing channel: {} {}", conn_.peer(), ch.id, code, text);
  codec::ChannelClose c;
  c.reply_code = code;
  c.reply_text = std::move(text);
  c.class_id = class_id;
  c.method_id = method_id;
  send_method(ch.id, c);
  ch.state = Channel::State::Closing;
  ch.content = Channel::Content::None;
  handlers::channel_closed(*this, ch);
}

void AmqpConnection::close_socket() {
  flush();
  timer_.cancel();
  conn_.close();
}

void AmqpConnection::tuned(uint16_t channel_max, uint32_t frame_max, uint16_t heartbeat_s) {
  channel_max_ = channel_max;
  frame_max_ = frame_max;
  heartbeat_s_ = heartbeat_s;
}

void AmqpConnection::opened(std::string vhost, VirtualHost* vh) {
  vhost_ = std::move(vhost);
  vhost_ptr_ = vh;
  state_ = State::Opened;
  timer_.cancel();
  arm_heartbeat();
}

void AmqpConnection::arm_heartbeat() {
  if (heartbeat_s_ == 0) return;
  // Tick at half the interval: send one when we have been quiet that long; a peer silent
  // for two intervals is gone.
  timer_.arm(conn_.loop(), std::chrono::milliseconds(heartbeat_s_ * 500),
             [this] { on_heartbeat_tick(); });
}

void AmqpConnection::on_heartbeat_tick() {
  const int64_t now = now_ms();
  const int64_t interval = int64_t(heartbeat_s_) * 1000;
  if (now - last_recv_ms_ >= 2 * interval) {
    spdlog::warn("amqp {}: missed heartbeats from client, timeout: {}s", conn_.peer(),
                 heartbeat_s_);
    conn_.abort();
    return;
  }
  if (now - last_send_ms_ >= interval / 2 - int64_t(net::CoarseTimer::kTick.count())) {
    codec::encode_heartbeat_frame(out_);
    flush();
  }
  arm_heartbeat();
}

Channel* AmqpConnection::channel(uint16_t id) {
  auto it = channels_.find(id);
  return it == channels_.end() ? nullptr : it->second.get();
}

Channel* AmqpConnection::open_channel(uint16_t id) {
  if (id == 0 || id > channel_max_ || channels_.count(id)) return nullptr;
  auto& slot = channels_[id];
  slot = std::make_unique<Channel>(id, ++channel_epoch_);
  server_.metrics().channels.add(1);
  return slot.get();
}

void AmqpConnection::remove_channel(uint16_t id) {
  if (channels_.erase(id)) server_.metrics().channels.add(-1);
}

}  // namespace unimq::amqp
