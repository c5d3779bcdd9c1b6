#include "connection.h"

#include <cstring>
#include <utility>

#include "protocol/mqtt/codec/encoder.h"

namespace unimq::bench {

Connection::Connection(asio::io_context& io, const Options& opt, std::string client_id,
                       uint16_t keep_alive, size_t read_buffer)
    : opt_(opt),
      version_(opt.version == 5 ? mqtt::Version::V5 : mqtt::Version::V311),
      io_(io),
      socket_(io),
      keepalive_timer_(io),
      client_id_(std::move(client_id)),
      keep_alive_(keep_alive),
      read_buffer_(read_buffer) {}

void Connection::start(const asio::ip::tcp::endpoint& ep) {
  set_state(ConnState::Connecting);
  asio::post(io_, [this, ep] { do_connect(ep); });
}

void Connection::do_connect(const asio::ip::tcp::endpoint& ep) {
  socket_.async_connect(ep, [this](const asio::error_code& ec) {
    if (ec) return fail("connect: " + ec.message());
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    rbuf_.resize(read_buffer_);
    send_connect();
    read_more();
  });
}

void Connection::send_connect() {
  mqtt::Connect c;
  c.version = version_;
  c.clean_start = true;
  c.keep_alive = keep_alive_;
  c.client_id = client_id_;
  if (version_ == mqtt::Version::V5) c.props.receive_maximum = 65535;
  mqtt::encode(c, version_, pending_);
  flush();
}

void Connection::fail(const std::string& why) {
  if (state() == ConnState::Failed || state() == ConnState::Closed) return;
  if (closing_) {
    shutdown_socket();
    return;
  }
  error_ = client_id_ + ": " + why;
  shutdown_socket();
  set_state(ConnState::Failed);
}

void Connection::shutdown_socket() {
  asio::error_code ignored;
  keepalive_timer_.cancel();
  socket_.close(ignored);
  if (closing_ && state() != ConnState::Failed) set_state(ConnState::Closed);
}

void Connection::close_gracefully() {
  asio::post(io_, [this] {
    if (closing_) return;
    closing_ = true;
    if (state() != ConnState::Ready) return shutdown_socket();
    mqtt::encode(mqtt::Disconnect{}, version_, pending_);
    flush();
  });
}

void Connection::flush() {
  if (writing_active_ || pending_.empty() || !socket_.is_open()) return;
  std::swap(pending_, writing_);
  pending_.clear();
  publishes_writing_ = std::exchange(publishes_pending_, 0);
  writing_active_ = true;
  asio::async_write(socket_, asio::buffer(writing_), [this](const asio::error_code& ec, size_t) {
    writing_active_ = false;
    writing_.clear();
    if (ec) return fail("write: " + ec.message());
    on_write_done(std::exchange(publishes_writing_, 0));
    if (!pending_.empty()) return flush();
    if (closing_) {
      asio::error_code ignored;
      socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
  });
}

void Connection::read_more() {
  socket_.async_read_some(asio::buffer(rbuf_.data() + rend_, rbuf_.size() - rend_),
                          [this](const asio::error_code& ec, size_t n) {
                            if (ec) {
                              if (closing_) return shutdown_socket();
                              return fail("read: " + ec.message());
                            }
                            on_read(n);
                          });
}

void Connection::on_read(size_t n) {
  rend_ += n;
  mqtt::FixedHeader h;
  mqtt::DecodeError err;
  while (rend_ > rbegin_) {
    std::span<const uint8_t> avail(rbuf_.data() + rbegin_, rend_ - rbegin_);
    auto st = mqtt::decode_fixed_header(avail, h, err);
    if (st == mqtt::DecodeStatus::NeedMore) break;
    if (st == mqtt::DecodeStatus::Malformed) return fail("malformed packet: " + err.message);
    const size_t total = h.total_length();
    if (avail.size() < total) {
      if (total > rbuf_.size()) {
        std::memmove(rbuf_.data(), rbuf_.data() + rbegin_, rend_ - rbegin_);
        rend_ -= rbegin_;
        rbegin_ = 0;
        rbuf_.resize(std::max(total, rbuf_.size() * 2));
      }
      break;
    }
    auto body = avail.subspan(h.header_length, h.remaining_length);
    rbegin_ += total;
    switch (h.type) {
      case mqtt::PacketType::Connack:
        on_connack(h, body);
        break;
      case mqtt::PacketType::Pingresp:
        break;
      case mqtt::PacketType::Disconnect:
        return fail("broker sent DISCONNECT");
      default:
        on_packet(h, body);
    }
    if (state() == ConnState::Failed || !socket_.is_open()) return;
  }
  if (rbegin_ == rend_) {
    rbegin_ = rend_ = 0;
  } else if (rbegin_ > 0) {
    std::memmove(rbuf_.data(), rbuf_.data() + rbegin_, rend_ - rbegin_);
    rend_ -= rbegin_;
    rbegin_ = 0;
  }
  on_read_batch_done();
  read_more();
}

void Connection::on_connack(const mqtt::FixedHeader& h, std::span<const uint8_t> body) {
  mqtt::Packet p;
  mqtt::DecodeError err;
  if (connack_seen_) return fail("second CONNACK");
  connack_seen_ = true;
  if (mqtt::decode_packet(h, body, version_, p, err) != mqtt::DecodeStatus::Ok)
    return fail("bad CONNACK: " + err.message);
  const auto* ack = std::get_if<mqtt::Connack>(&p);
  if (ack == nullptr) return fail("expected CONNACK");
  if (ack->reason_code != 0)
    return fail("CONNACK refused, code " + std::to_string(ack->reason_code));
  if (ack->props.receive_maximum) server_receive_max_ = *ack->props.receive_maximum;
  arm_keepalive();
  on_connected();
}

void Connection::arm_keepalive() {
  if (keep_alive_ == 0) return;
  keepalive_timer_.expires_after(std::chrono::milliseconds(keep_alive_ * 500));
  keepalive_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || closing_) return;
    mqtt::encode(mqtt::Pingreq{}, version_, pending_);
    flush();
    arm_keepalive();
  });
}

}  // namespace unimq::bench
