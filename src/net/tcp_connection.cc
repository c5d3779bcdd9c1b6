#include "net/tcp_connection.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <asio/read.hpp>

#include "net/event_loop_impl.h"

namespace unimq::net {

namespace {

std::atomic<uint64_t> g_next_id{1};

std::string format_peer(const asio::ip::tcp::endpoint& ep) {
  asio::ip::address a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {  // dual-stack listener: show plain IPv4
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  std::string addr = a.to_string();
  if (a.is_v6()) addr = "[" + addr + "]";
  return addr + ":" + std::to_string(ep.port());
}

}  // namespace

TcpConnection::TcpConnection(EventLoop& loop, asio::ip::tcp::socket socket,
                             const ConnectionLimits& limits,
                             std::shared_ptr<const HandlerFactory> factory,
                             const ListenerOptions* ws_opts)
    : loop_(&loop),
      socket_(std::move(socket)),
      limits_(limits),
      factory_(std::move(factory)),
      id_(g_next_id.fetch_add(1, std::memory_order_relaxed)) {
  if (ws_opts != nullptr) ws_ = std::make_unique<WsState>(*ws_opts);
  asio::error_code ec;
  asio::ip::tcp::endpoint ep = socket_.remote_endpoint(ec);
  peer_ = ec ? std::string("?") : format_peer(ep);
  v6_ = !ec && ep.address().is_v6();
  slices_.reserve(kMaxIov);
  if (limits_.read_buffer < 512) limits_.read_buffer = 512;
}

TcpConnection::~TcpConnection() = default;

void TcpConnection::start() {
  loop_->internals().connections.emplace(id_, shared_from_this());
  registered_ = true;
  spdlog::debug("net: conn {} from {} accepted ({}) on loop {}", id_, peer_,
                ws_ ? "websocket" : "tcp", loop_->index());
  if (ws_) {
    ws_start_handshake_timer();
  } else if (!became_ready()) {
    return;
  }
  start_read();
}

bool TcpConnection::became_ready() {
  std::shared_ptr<const HandlerFactory> factory = std::move(factory_);
  if (factory && *factory) {
    ++in_handler_;  // the factory may send or close; on_closed must wait for the handler
    std::unique_ptr<ConnectionHandler> h = (*factory)(*this);
    --in_handler_;
    if (h) handler_ = std::move(h);
  }
  if (!handler_) {
    spdlog::debug("net: conn {} {} refused by the handler factory", id_, peer_);
    abort();
    return false;
  }
  if (finalize_pending_) finalize();
  return state_ == State::kOpen;
}

// ---- input -------------------------------------------------------------------------------

void TcpConnection::start_read() {
  if (reading_ || paused_ || rehoming_ || state_ != State::kOpen) return;
  std::span<uint8_t> buf = input_.prepare(limits_.read_buffer);
  reading_ = true;
  socket_.async_read_some(
      asio::buffer(buf.data(), buf.size()),
      [self = shared_from_this()](const asio::error_code& ec, size_t n) { self->on_read(ec, n); });
}

void TcpConnection::on_read(const asio::error_code& ec, size_t n) {
  reading_ = false;
  if (state_ == State::kClosed) return;
  input_.commit(n);
  if (state_ == State::kClosing) {
    input_.clear();  // closing: input (even EOF) no longer matters, the flush finishes the job
    return;
  }
  if (ec) {
    if (ec == asio::error::operation_aborted) {
      if (rehoming_) continue_rehome();
      return;
    }
    if (ec == asio::error::eof) {
      // The peer will send no more but may still read: flush what is queued, then close.
      spdlog::debug("net: conn {} {} closed by peer", id_, peer_);
      close();
    } else {
      fail("read", ec);
    }
    return;
  }
  process_input();
  if (state_ != State::kOpen) return;
  if (rehoming_) {
    continue_rehome();
    return;
  }
  start_read();
}

void TcpConnection::process_input() {
  if (ws_) {
    ws_process();
  } else {
    deliver();
  }
}

void TcpConnection::deliver() {
  InputBuffer& in = app_input();
  while (!paused_ && state_ == State::kOpen && handler_ && !in.empty()) {
    ++in_handler_;
    size_t used = handler_->on_data(in.data());
    if (used > in.size()) {
      spdlog::warn("net: conn {} {} handler consumed {} of {} bytes", id_, peer_, used, in.size());
      used = in.size();
    }
    in.consume(used);
    end_callback();
    if (used == 0) break;  // needs more bytes
  }
  in.maybe_shrink(limits_.read_buffer);
}

void TcpConnection::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  if (state_ != State::kOpen || rehoming_) return;  // adopt() resumes after a move
  // Posted, not inline: resume may be called from inside on_data.
  asio::post(io_of(*loop_), [self = shared_from_this(), e = epoch_.load()] {
    if (self->epoch_.load() != e) return;
    if (self->paused_ || self->rehoming_ || self->state_ != State::kOpen) return;
    self->deliver();
    self->start_read();
  });
}

// ---- output ------------------------------------------------------------------------------

void TcpConnection::send(std::span<const uint8_t> bytes) {
  if (state_ != State::kOpen || bytes.empty()) return;
  accum_.append_copy(bytes.data(), bytes.size());
  after_enqueue();
}

void TcpConnection::send_shared(const uint8_t* data, size_t len, PayloadOwner owner) {
  if (state_ != State::kOpen || len == 0) return;
  accum_.append_shared(data, len, std::move(owner));
  after_enqueue();
}

void TcpConnection::after_enqueue() {
  if (!congested_ && queued_bytes() > limits_.high_watermark) congested_ = true;
  schedule_flush();
}

bool TcpConnection::has_output() const {
  return !accum_.empty() || !ctrl_.empty() || (ws_ && ws_->close_code != 0 && !ws_->close_sent);
}

void TcpConnection::schedule_flush() {
  // One flush per loop turn: every send of the turn joins the same writev.
  if (flush_posted_ || writing_ || rehoming_ || state_ == State::kClosed) return;
  flush_posted_ = true;
  asio::post(io_of(*loop_), [self = shared_from_this(), e = epoch_.load()] {
    if (self->epoch_.load() != e) return;  // moved to another loop meanwhile
    self->flush_posted_ = false;
    self->flush();
  });
}

void TcpConnection::flush() {
  if (writing_ || rehoming_ || state_ == State::kClosed) return;
  if (pending_.remaining() > 0) {  // carried over by a rehome
    start_write();
    return;
  }
  if (!has_output()) {
    if (state_ == State::kClosing) finish_close();
    return;
  }
  pending_.clear();
  std::swap(pending_, accum_);
  std::vector<uint8_t>& prefix = pending_.prefix();
  prefix.insert(prefix.end(), ctrl_.begin(), ctrl_.end());
  ctrl_.clear();
  if (ws_ && ws_->upgraded) {
    // The whole batch is one binary frame; its header is known only now.
    if (pending_.payload_bytes() > 0) {
      uint8_t hdr[ws::kMaxHeaderSize];
      size_t n = ws::encode_header(hdr, ws::kBinary, pending_.payload_bytes());
      prefix.insert(prefix.end(), hdr, hdr + n);
    }
    if (ws_->close_code != 0 && !ws_->close_sent) {
      ws::append_close(pending_.suffix(), ws_->close_code);
      ws_->close_sent = true;
    }
  }
  start_write();
}

void TcpConnection::start_write() {
  slices_.clear();
  size_t count = pending_.gather(slices_, kMaxIov);
  for (size_t i = 0; i < count; ++i) iov_[i] = asio::const_buffer(slices_[i].data, slices_[i].len);
  writing_ = true;
  socket_.async_write_some(
      std::span<const asio::const_buffer>(iov_.data(), count),
      [self = shared_from_this()](const asio::error_code& ec, size_t n) { self->on_write(ec, n); });
}

void TcpConnection::on_write(const asio::error_code& ec, size_t n) {
  writing_ = false;
  if (state_ == State::kClosed) {
    pending_.clear();
    return;
  }
  if (ec) {
    if (ec == asio::error::operation_aborted && rehoming_) {
      continue_rehome();
      return;
    }
    fail("write", ec);
    return;
  }
  pending_.consume(n);
  bool batch_done = pending_.remaining() == 0;
  if (batch_done) pending_.clear();  // releases the shared payloads, keeps capacity
  maybe_drain();
  if (state_ == State::kClosed) return;
  if (rehoming_) {
    continue_rehome();
    return;
  }
  if (!batch_done) {
    start_write();
  } else {
    flush();
  }
}

void TcpConnection::maybe_drain() {
  if (!congested_ || queued_bytes() >= limits_.low_watermark) return;
  congested_ = false;
  if (!handler_ || state_ != State::kOpen) return;
  ++in_handler_;
  handler_->on_drain();
  end_callback();
}

// ---- closing -----------------------------------------------------------------------------

void TcpConnection::close() {
  if (state_ != State::kOpen) return;
  auto self = shared_from_this();
  state_ = State::kClosing;
  spdlog::debug("net: conn {} {} closing", id_, peer_);
  if (ws_ && ws_->upgraded && ws_->close_code == 0) ws_->close_code = ws::kNormalClosure;
  schedule_flush();  // the flush finds nothing more to write and finishes the close
}

void TcpConnection::finish_close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  // Read what the peer already sent: closing with unread input makes the kernel send RST,
  // which can make the peer drop our last bytes before reading them.
  socket_.non_blocking(true, ec);
  uint8_t sink[4096];
  for (int i = 0; i < 16 && !ec; ++i) socket_.read_some(asio::buffer(sink), ec);
  socket_.close(ec);
  finalize();
}

void TcpConnection::abort() {
  if (state_ == State::kClosed) return;
  auto self = shared_from_this();
  state_ = State::kClosed;
  asio::error_code ec;
  socket_.close(ec);
  accum_.clear();
  ctrl_.clear();
  if (!writing_) pending_.clear();  // else the write's completion drops it
  rehoming_ = false;
  on_moved_ = nullptr;
  finalize();
}

void TcpConnection::fail(const char* what, const asio::error_code& ec) {
  spdlog::warn("net: conn {} {} {} error: {}", id_, peer_, what, ec.message());
  abort();
}

void TcpConnection::close_for_exit() {
  asio::error_code ec;
  socket_.close(ec);
  state_ = State::kClosed;
}

void TcpConnection::end_callback() {
  if (--in_handler_ > 0) return;
  retired_.reset();
  if (finalize_pending_) finalize();
}

void TcpConnection::set_handler(std::unique_ptr<ConnectionHandler> h) {
  // Swapped from inside its own callback (e.g. a protocol sniffer handing over): keep the old
  // handler alive until that callback returns. The new one gets the remaining input.
  if (in_handler_ > 0 && handler_) retired_ = std::move(handler_);
  handler_ = std::move(h);
}

void TcpConnection::finalize() {
  if (in_handler_ > 0) {  // a handler callback is on the stack: finish when it returns
    finalize_pending_ = true;
    return;
  }
  finalize_pending_ = false;
  if (finalized_) return;
  finalized_ = true;
  auto self = shared_from_this();
  if (handler_) {
    ++in_handler_;
    handler_->on_closed();
    --in_handler_;
    std::unique_ptr<ConnectionHandler> h = std::move(handler_);
    h.reset();
  }
  retired_.reset();
  ws_handshake_timer_reset();
  if (registered_) {
    registered_ = false;
    loop_->internals().connections.erase(id_);
  }
  spdlog::debug("net: conn {} {} closed", id_, peer_);
}

}  // namespace unimq::net
