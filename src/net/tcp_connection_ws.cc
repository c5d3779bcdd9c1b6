// WebSocket side of TcpConnection: the upgrade handshake, then un-framing client frames into
// the payload buffer the handler reads. Outgoing framing happens in flush().
#include <spdlog/spdlog.h>

#include <string_view>

#include "net/event_loop_impl.h"
#include "net/tcp_connection.h"

namespace unimq::net {

void TcpConnection::ws_start_handshake_timer() {
  if (ws_->handshake_timeout.count() <= 0) return;
  ws_->handshake_timer = std::make_unique<asio::steady_timer>(io_of(*loop_));
  ws_->handshake_timer->expires_after(ws_->handshake_timeout);
  std::weak_ptr<TcpConnection> weak = shared_from_this();
  ws_->handshake_timer->async_wait([weak](const asio::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->ws_->upgraded || self->state_ != State::kOpen) return;
    spdlog::warn("net: conn {} {} websocket handshake timed out", self->id_, self->peer_);
    self->abort();
  });
}

void TcpConnection::ws_handshake() {
  std::span<const uint8_t> in = input_.data();
  std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  ws::HandshakeResult r = ws::parse_handshake(text, ws_->subprotocol);
  switch (r.status) {
    case ws::HandshakeResult::Status::kIncomplete:
      return;
    case ws::HandshakeResult::Status::kRejected:
      spdlog::warn("net: conn {} {} bad websocket handshake: {}", id_, peer_, r.error);
      input_.clear();
      ctrl().insert(ctrl().end(), r.response.begin(), r.response.end());
      close();  // writes the 400, then closes
      return;
    case ws::HandshakeResult::Status::kAccepted:
      break;
  }
  input_.consume(r.consumed);
  ctrl().insert(ctrl().end(), r.response.begin(), r.response.end());
  ws_->upgraded = true;
  ws_->handshake_timer.reset();  // cancels the wait; also keeps the timer off other loops
  spdlog::debug("net: conn {} {} websocket upgraded (protocol '{}')", id_, peer_, r.protocol);
  schedule_flush();
  became_ready(std::move(ws_->factory));
}

void TcpConnection::ws_process() {
  if (!ws_->upgraded) {
    ws_handshake();
    if (state_ != State::kOpen || !ws_->upgraded) return;
  }
  InputBuffer& out = ws_->payload;
  while (state_ == State::kOpen && !input_.empty()) {
    std::span<uint8_t> space = out.prepare(input_.size());
    ws::FrameDecoder::Result r = ws_->decoder.decode(input_.data(), space);
    input_.consume(r.consumed);
    out.commit(r.produced);
    switch (r.event) {
      case ws::FrameDecoder::Event::kNeedMore:
        deliver();
        return;
      case ws::FrameDecoder::Event::kData:
      case ws::FrameDecoder::Event::kPong:
        break;
      case ws::FrameDecoder::Event::kPing:
        // A peer that pings without reading must not grow our control queue forever.
        if (ctrl().size() < 64 * 1024) ws::append_frame(ctrl(), ws::kPong, r.control);
        schedule_flush();
        break;
      case ws::FrameDecoder::Event::kClose:
        spdlog::debug("net: conn {} {} websocket close {}", id_, peer_, r.close_code);
        deliver();  // data that came before the close frame still counts
        // Echo the peer's code (RFC 6455 5.5.1); 1005 means "none" and is never sent.
        if (state_ == State::kOpen) {
          ws_->close_code =
              r.close_code == ws::kNoStatus ? uint16_t{ws::kNormalClosure} : r.close_code;
          input_.clear();
          close();
        }
        return;
      case ws::FrameDecoder::Event::kError:
        spdlog::warn("net: conn {} {} websocket protocol error, closing with {}", id_, peer_,
                     r.close_code);
        ws_->close_code = r.close_code;
        input_.clear();
        close();
        return;
    }
  }
  deliver();
}

}  // namespace unimq::net
