// The AMQP 0-9-1 connection handler: protocol header, handshake (start, tune, open),
// heartbeats, frame demultiplexing to channels and content assembly. The methods themselves
// are handled in handlers/ (one file per class). Lives on one event loop.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/connection.h"
#include "net/timer.h"
#include "protocol/amqp/broker/message.h"
#include "protocol/amqp/codec/frame.h"
#include "protocol/amqp/session/channel.h"

namespace unimq::net {
class EventLoop;
}

namespace unimq::amqp {

class ServerContext;
class AmqpConnection;
class VirtualHost;

// How callbacks from other threads (queue deliveries, journal completions) reach a
// connection: they post to `loop` and find the connection through `conn`, which the
// connection clears when it goes (both only touched on that loop).
struct ConnectionLink {
  net::EventLoop* loop = nullptr;
  AmqpConnection* conn = nullptr;
  // The socket's output queue is above its high watermark: consumers stop taking deliveries
  // (read from queue threads) until on_drain.
  std::atomic<bool> congested{false};
};

class AmqpConnection : public net::ConnectionHandler {
 public:
  enum class State { Header, StartOk, TuneOk, Open, Opened, Closing };

  AmqpConnection(ServerContext& server, net::Connection& conn);
  ~AmqpConnection() override;

  size_t on_data(std::span<const uint8_t> data) override;
  void on_closed() override;
  void on_drain() override;

  // --- used by the handlers ---
  ServerContext& server() { return server_; }
  net::EventLoop& loop() { return conn_.loop(); }
  uint64_t id() const { return conn_.id(); }
  State state() const { return state_; }
  const std::string& vhost() const { return vhost_; }
  const std::string& user() const { return user_; }
  VirtualHost* virtual_host() const { return vhost_ptr_; }
  const std::shared_ptr<ConnectionLink>& link() const { return link_; }

  template <typename M>
  void send_method(uint16_t channel, const M& m) {
    codec::encode_method_frame(out_, channel, m);
    maybe_flush();
  }
  // Method + content header + body frames (split at frame_max); large bodies are queued
  // without a copy (the message keeps them alive).
  template <typename M>
  void send_content(uint16_t channel, const M& m, const MessagePtr& msg) {
    codec::encode_method_frame(out_, channel, m);  // the concrete method: no variant copy
    send_content_frames(channel, msg);
  }
  // Runs `fn` with sends batched into one write (for work posted to the loop).
  template <typename F>
  void batch(F&& fn) {
    const bool was = dispatching_;
    dispatching_ = true;
    fn();
    dispatching_ = was;
    maybe_flush();
  }
  // Connection-level error (hard error): Connection.Close, ignore input until close-ok.
  void close_connection(uint16_t code, std::string text, uint16_t class_id = 0,
                        uint16_t method_id = 0);
  // Channel-level error (soft error): Channel.Close, ignore the channel until close-ok.
  void close_channel(Channel& ch, uint16_t code, std::string text, uint16_t class_id,
                     uint16_t method_id);
  // Shutdown: Connection.Close 320 CONNECTION_FORCED.
  void force_close();

  // Handshake steps (handlers/connection.cc).
  void authenticated(std::string user) { user_ = std::move(user); }
  void tuned(uint16_t channel_max, uint32_t frame_max, uint16_t heartbeat_s);
  void opened(std::string vhost, VirtualHost* vh);
  void set_state(State s) { state_ = s; }
  void close_socket();  // after close-ok: flush and close

  // Publisher-confirm acks of `channel` go out at the end of this loop turn, coalesced.
  void schedule_confirms(uint16_t channel);

  Channel* channel(uint16_t id);
  template <typename F>
  void for_each_channel(F&& fn) {
    for (auto& [id, ch] : channels_)
      if (ch->state == Channel::State::Open) fn(*ch);
  }
  Channel* open_channel(uint16_t id);  // nullptr if out of range or already open
  void remove_channel(uint16_t id);
  uint16_t channel_max() const { return channel_max_; }
  uint32_t frame_max() const { return frame_max_; }

 private:
  void send_start();
  void send_content_frames(uint16_t channel, const MessagePtr& msg);
  void handle_frame(const codec::Frame& f);
  void handle_method(uint16_t channel, std::span<const uint8_t> payload);
  void handle_header(Channel& ch, std::span<const uint8_t> payload);
  void handle_body(Channel& ch, std::span<const uint8_t> payload);
  void content_complete(Channel& ch);
  void frame_error(const char* why);
  void maybe_flush();
  void flush_confirms();
  void flush();
  void arm_heartbeat();
  void on_heartbeat_tick();
  static int64_t now_ms();

  ServerContext& server_;
  net::Connection& conn_;
  State state_ = State::Header;
  bool dispatching_ = false;  // inside on_data: sends are batched until it returns
  std::vector<uint8_t> out_;
  std::map<uint16_t, std::unique_ptr<Channel>> channels_;
  std::string user_;
  std::string vhost_;
  VirtualHost* vhost_ptr_ = nullptr;
  std::shared_ptr<ConnectionLink> link_;
  uint64_t channel_epoch_ = 0;
  uint16_t channel_max_;
  uint32_t frame_max_;
  uint16_t heartbeat_s_ = 0;
  int64_t last_recv_ms_ = 0;
  int64_t last_send_ms_ = 0;
  std::vector<uint16_t> confirm_channels_;  // channels with acks_ready
  bool confirms_posted_ = false;
  net::CoarseTimer timer_;  // handshake / close-ok deadline, then heartbeats
};

}  // namespace unimq::amqp
