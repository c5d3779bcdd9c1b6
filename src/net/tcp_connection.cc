#include "net/tcp_connection.h"

#include <spdlog/spdlog.h>

#include <array>
#include <asio/post.hpp>
#include <cstring>

#include "net/event_loop_impl.h"

namespace unimq::net {

namespace {

std::atomic<uint64_t> g_next_id{1};

// iovecs per writev. 32 keeps the write operation (which carries a copy of them) small enough
// for asio's per-thread allocation cache.
constexpr size_t kMaxIov = 32;
// A connection with no pending input keeps at most this much input buffer capacity.
constexpr size_t kKeepBufferBytes = 4096;
// A connection with nothing to write holds no output queue: it goes to a per-loop pool for the
// next connection that sends. Up to kOutputPoolSize are kept, with up to kPooledKeepBytes per
// buffer, so busy connections that idle between bursts do not regrow (and re-free) them.
constexpr size_t kOutputPoolSize = 16;
constexpr size_t kPooledKeepBytes = 64 * 1024;

// A buffer sequence passed by value: asio copies it into the write operation, so the iovecs
// live exactly as long as the write and no connection carries an iovec array.
struct IovBuffers {
  std::array<asio::const_buffer, kMaxIov> bufs;
  size_t count = 0;
  const asio::const_buffer* begin() const { return bufs.data(); }
  const asio::const_buffer* end() const { return bufs.data() + count; }
};

// The read buffer of a loop thread, shared by all its connections: reads wait for readiness
// and then read here, so an idle connection holds no input buffer.
struct ReadScratch {
  std::unique_ptr<uint8_t[]> buf;
  size_t size = 0;
  bool busy = false;  // a handler is looking at it

  uint8_t* get(size_t n) {
    if (size < n) {
      buf = std::make_unique_for_overwrite<uint8_t[]>(n);
      size = n;
    }
    return buf.get();
  }
};
thread_local ReadScratch t_read_scratch;

// Connections waiting for the end of the current FlushScope on this thread (see
// event_loop_impl.h). The vector keeps its capacity: no allocation per callback.
struct PendingFlushes {
  int depth = 0;
  std::vector<std::pair<std::shared_ptr<TcpConnection>, uint32_t>> conns;  // + epoch
};
thread_local PendingFlushes t_pending_flushes;

void append_input(InputBuffer& in, const uint8_t* p, size_t n) {
  while (n > 0) {
    std::span<uint8_t> dst = in.prepare(n);
    std::memcpy(dst.data(), p, dst.size());
    in.commit(dst.size());
    p += dst.size();
    n -= dst.size();
  }
}

// Frees an empty buffer above kKeepBufferBytes (maybe_shrink frees above 4 * its argument).
void trim(InputBuffer& in) { in.maybe_shrink(kKeepBufferBytes / 4); }

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

TcpConnection::TcpConnection(EventLoop& loop, Socket socket, const ConnectionLimits& limits,
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
  socket_.non_blocking(true, ec);  // read_some after a readiness wait must never block
  if (limits_.read_buffer < 512) limits_.read_buffer = 512;
}

TcpConnection::~TcpConnection() = default;

std::string TcpConnection::local_address() const {
  asio::error_code ec;
  asio::ip::address a = socket_.local_endpoint(ec).address();
  if (ec) return {};
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a.to_string();
}

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
  reading_ = true;
  socket_.async_wait(
      asio::socket_base::wait_read,
      [self = shared_from_this()](const asio::error_code& ec) { self->on_readable(ec); });
}

void TcpConnection::on_readable(asio::error_code ec) {
  FlushScope scope;  // replies and local deliveries go out before the loop polls again
  reading_ = false;
  // Closing: input (even EOF) no longer matters, the flush finishes the job.
  if (state_ != State::kOpen) return;
  if (!ec) {
    ReadScratch& scratch = t_read_scratch;
    size_t held = input_.size();
    if (!ws_ && !scratch.busy && held <= limits_.read_buffer / 2) {
      // Common case: hand the bytes to the handler where they were read. A partial packet left
      // by the last read goes in front of them; only what is left unconsumed again is copied
      // back into input_.
      uint8_t* buf = scratch.get(limits_.read_buffer);
      if (held > 0) std::memcpy(buf, input_.data().data(), held);
      size_t n = socket_.read_some(asio::buffer(buf + held, limits_.read_buffer - held), ec);
      if (!ec) {
        input_.clear();
        scratch.busy = true;
        deliver_direct({buf, held + n});
        scratch.busy = false;
        trim(input_);
      }
    } else {
      read_into_input(ec);
      if (!ec) process_input();
    }
  }
  if (ec) {
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      start_read();  // spurious readiness
      return;
    }
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
  if (state_ != State::kOpen) return;
  if (rehoming_) {
    continue_rehome();
    return;
  }
  start_read();
}

void TcpConnection::read_into_input(asio::error_code& ec) {
  ReadScratch& scratch = t_read_scratch;
  if (!ws_ || !input_.empty() || scratch.busy) {
    // A large packet being assembled (or the shared buffer in use further up the stack): read
    // straight into input_.
    std::span<uint8_t> buf = input_.prepare(limits_.read_buffer);
    input_.commit(socket_.read_some(asio::buffer(buf.data(), buf.size()), ec));
    return;
  }
  // WebSocket with nothing pending: input_ grows only by what was read.
  uint8_t* buf = scratch.get(limits_.read_buffer);
  size_t n = socket_.read_some(asio::buffer(buf, limits_.read_buffer), ec);
  if (!ec) append_input(input_, buf, n);
}

void TcpConnection::deliver_direct(std::span<const uint8_t> data) {
  // Same loop as deliver(), over bytes that are not in input_.
  while (!paused_ && state_ == State::kOpen && handler_ && !data.empty()) {
    ++in_handler_;
    size_t used = handler_->on_data(data);
    if (used > data.size()) {
      spdlog::warn("net: conn {} {} handler consumed {} of {} bytes", id_, peer_, used,
                   data.size());
      used = data.size();
    }
    data = data.subspan(used);
    end_callback();
    if (used == 0) break;  // needs more bytes
  }
  if (!data.empty() && state_ == State::kOpen) append_input(input_, data.data(), data.size());
}

void TcpConnection::process_input() {
  if (ws_) {
    ws_process();
    trim(input_);
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
  trim(in);
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
  out().accum.append_copy(bytes.data(), bytes.size());
  after_enqueue();
}

void TcpConnection::send_shared(const uint8_t* data, size_t len, PayloadOwner owner) {
  if (state_ != State::kOpen || len == 0) return;
  out().accum.append_shared(data, len, std::move(owner));
  after_enqueue();
}

void TcpConnection::after_enqueue() {
  if (!congested_ && queued_bytes() > limits_.high_watermark) congested_ = true;
  schedule_flush();
}

bool TcpConnection::has_output() const {
  return (out_ && (!out_->accum.empty() || !out_->ctrl.empty())) ||
         (ws_ && ws_->close_code != 0 && !ws_->close_sent);
}

TcpConnection::Output& TcpConnection::out() {
  if (!out_) out_ = take_output();
  return *out_;
}

void TcpConnection::maybe_release_output() {
  if (!out_ || writing_ || out_->pending.remaining() > 0 || has_output()) return;
  give_back_output(std::move(out_));
}

namespace {
// Per loop thread (only touched on it); see kOutputPoolSize.
template <typename T>
std::vector<std::unique_ptr<T>>& output_pool() {
  thread_local std::vector<std::unique_ptr<T>> pool;
  return pool;
}
}  // namespace

std::unique_ptr<TcpConnection::Output> TcpConnection::take_output() {
  auto& pool = output_pool<Output>();
  if (pool.empty()) return std::make_unique<Output>();
  std::unique_ptr<Output> o = std::move(pool.back());
  pool.pop_back();
  return o;
}

void TcpConnection::give_back_output(std::unique_ptr<Output> o) {
  auto& pool = output_pool<Output>();
  if (pool.size() >= kOutputPoolSize) return;  // freed
  o->pending.clear();
  o->pending.trim(kPooledKeepBytes);
  o->accum.clear();
  o->accum.trim(kPooledKeepBytes);
  if (o->ctrl.capacity() > kPooledKeepBytes) {
    std::vector<uint8_t>().swap(o->ctrl);
  } else {
    o->ctrl.clear();
  }
  pool.push_back(std::move(o));
}

void TcpConnection::schedule_flush() {
  // One flush per callback (or per loop turn outside one): every send joins the same writev.
  if (flush_posted_ || writing_ || rehoming_ || state_ == State::kClosed) return;
  flush_posted_ = true;
  PendingFlushes& pending = t_pending_flushes;
  if (pending.depth > 0) {
    pending.conns.emplace_back(shared_from_this(), epoch_.load());
    return;
  }
  asio::post(io_of(*loop_),
             [self = shared_from_this(), e = epoch_.load()] { self->run_scheduled_flush(e); });
}

void TcpConnection::run_scheduled_flush(uint32_t epoch) {
  if (epoch_.load() != epoch) return;  // moved to another loop meanwhile
  flush_posted_ = false;
  flush();
}

FlushScope::FlushScope() { ++t_pending_flushes.depth; }

FlushScope::~FlushScope() {
  PendingFlushes& pending = t_pending_flushes;
  if (pending.depth > 1) {
    --pending.depth;
    return;
  }
  // Still counted as inside the scope: a flush that closes a connection can make its handler
  // send on others (e.g. a will), which then join this list and are flushed here too.
  for (size_t i = 0; i < pending.conns.size(); ++i) {
    auto [conn, epoch] = std::move(pending.conns[i]);
    conn->run_scheduled_flush(epoch);
  }
  pending.conns.clear();
  --pending.depth;
}

void TcpConnection::flush() {
  if (writing_ || rehoming_ || state_ == State::kClosed) return;
  if (out_ && out_->pending.remaining() > 0) {  // carried over by a rehome
    start_write();
    return;
  }
  if (!has_output()) {
    maybe_release_output();
    if (state_ == State::kClosing) finish_close();
    return;
  }
  Output& o = out();
  o.pending.clear();
  std::swap(o.pending, o.accum);
  std::vector<uint8_t>& prefix = o.pending.prefix();
  prefix.insert(prefix.end(), o.ctrl.begin(), o.ctrl.end());
  o.ctrl.clear();
  if (ws_ && ws_->upgraded) {
    // The whole batch is one binary frame; its header is known only now.
    if (o.pending.payload_bytes() > 0) {
      uint8_t hdr[ws::kMaxHeaderSize];
      size_t n = ws::encode_header(hdr, ws::kBinary, o.pending.payload_bytes());
      prefix.insert(prefix.end(), hdr, hdr + n);
    }
    if (ws_->close_code != 0 && !ws_->close_sent) {
      ws::append_close(o.pending.suffix(), ws_->close_code);
      ws_->close_sent = true;
    }
  }
  start_write();
}

void TcpConnection::start_write() {
  IoSlice slices[kMaxIov];
  size_t count = out_->pending.gather(slices, kMaxIov);
  writing_ = true;
  auto done = [self = shared_from_this()](const asio::error_code& ec, size_t n) {
    self->on_write(ec, n);
  };
  if (count == 1) {
    socket_.async_write_some(asio::const_buffer(slices[0].data, slices[0].len), std::move(done));
    return;
  }
  IovBuffers bufs;
  bufs.count = count;
  for (size_t i = 0; i < count; ++i)
    bufs.bufs[i] = asio::const_buffer(slices[i].data, slices[i].len);
  socket_.async_write_some(bufs, std::move(done));
}

void TcpConnection::on_write(const asio::error_code& ec, size_t n) {
  writing_ = false;
  if (state_ == State::kClosed) {
    out_.reset();
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
  out_->pending.consume(n);
  bool batch_done = out_->pending.remaining() == 0;
  if (batch_done) out_->pending.clear();  // releases the shared payloads, keeps capacity
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
  if (!writing_) {
    out_.reset();
  } else if (out_) {  // the write's completion drops the rest
    out_->accum.clear();
    out_->ctrl.clear();
  }
  rehoming_ = false;
  if (rehome_) rehome_->on_moved = nullptr;
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
