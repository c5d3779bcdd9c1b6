#include "net/tcp_connection.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "net/event_loop_impl.h"
#include "net/poller.h"

namespace unimq::net {

namespace {

std::atomic<uint64_t> g_next_id{1};

// iovecs per sendmsg.
constexpr size_t kMaxIov = 64;
// A connection with no pending input keeps at most this much input buffer capacity.
constexpr size_t kKeepBufferBytes = 4096;
// A connection with nothing to write holds no output queue: it goes to a per-loop pool for the
// next connection that sends. Up to kOutputPoolSize are kept, with up to kPooledKeepBytes per
// buffer, so busy connections that idle between bursts do not regrow (and re-free) them.
constexpr size_t kOutputPoolSize = 16;
constexpr size_t kPooledKeepBytes = 64 * 1024;

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
template <typename Buffer>
void trim(Buffer& in) {
  in.maybe_shrink(kKeepBufferBytes / 4);
}

std::error_code errno_code(int e) { return std::error_code(e, std::system_category()); }

bool would_block(const std::error_code& ec) {
  return ec.value() == EAGAIN || ec.value() == EWOULDBLOCK;
}

// Accepted fds are IPv4 or IPv6 TCP sockets; anything else reads as unknown.
bool socket_endpoint(int fd, bool peer, asio::ip::tcp::endpoint& ep) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                : ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (rc != 0 || len > ep.capacity() || (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
    return false;
  std::memcpy(ep.data(), &ss, len);
  ep.resize(len);
  return true;
}

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

namespace {
uint32_t clamp32(size_t v) { return v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v); }
}  // namespace

TcpConnection::TcpConnection(EventLoop& loop, int fd, const ConnectionLimits& limits,
                             const ListenerOptions* ws_opts)
    : loop_(&loop),
      fd_(fd),
      limits_{clamp32(limits.high_watermark), clamp32(limits.low_watermark),
              clamp32(limits.read_buffer)},
      id_(g_next_id.fetch_add(1, std::memory_order_relaxed)) {
  if (ws_opts != nullptr) ws_ = std::make_unique<WsState>(*ws_opts);
  asio::ip::tcp::endpoint ep;
  peer_ = socket_endpoint(fd_, true, ep) ? format_peer(ep) : std::string("?");
  if (limits_.read_buffer < 512) limits_.read_buffer = 512;
}

TcpConnection::~TcpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

std::string TcpConnection::local_address() const {
  asio::ip::tcp::endpoint ep;
  if (fd_ < 0 || !socket_endpoint(fd_, false, ep)) return {};
  asio::ip::address a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a.to_string();
}

void TcpConnection::start(std::shared_ptr<const HandlerFactory> factory) {
  spdlog::debug("net: conn {} from {} accepted ({}) on loop {}", id_, peer_,
                ws_ ? "websocket" : "tcp", loop_->index());
  if (!register_fd()) return;
  // Bytes that arrived before the registration are reported by the Poller's next round.
  if (ws_) {
    ws_->factory = std::move(factory);
    ws_start_handshake_timer();
  } else {
    became_ready(std::move(factory));
  }
}

bool TcpConnection::register_fd() {
  auto& conns = loop_->internals().connections;
  slot_ = static_cast<uint32_t>(conns.size());
  conns.push_back(shared_from_this());
  registered_ = true;
  int err = poller_of(*loop_).add(fd_, this);
  if (err != 0) {
    fail("register", errno_code(err));
    return false;
  }
  polled_ = true;
  return true;
}

void TcpConnection::unregister() {
  if (polled_) {
    polled_ = false;
    poller_of(*loop_).remove(fd_);
  }
  if (registered_) {
    registered_ = false;
    // Swap-remove from the registry; the reference it held goes to the Poller's retired list.
    auto& conns = loop_->internals().connections;
    std::shared_ptr<TcpConnection> mine = std::move(conns[slot_]);
    if (slot_ + 1 != conns.size()) {
      conns[slot_] = std::move(conns.back());
      conns[slot_]->slot_ = slot_;
    }
    conns.pop_back();
    if (conns.capacity() > 64 && conns.size() < conns.capacity() / 4) conns.shrink_to_fit();
    poller_of(*loop_).retire(std::move(mine));
  }
}

void TcpConnection::close_fd() {
  if (fd_ < 0) return;
  if (polled_) {
    polled_ = false;
    poller_of(*loop_).remove(fd_);
  }
  ::close(fd_);
  fd_ = -1;
}

bool TcpConnection::became_ready(std::shared_ptr<const HandlerFactory> factory) {
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

void TcpConnection::on_poll_events(uint32_t events) {
  if (state_ == State::kClosed) return;
  if (write_blocked_ && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    write_blocked_ = false;
    write_loop();
  }
  if (events & (EPOLLRDHUP | EPOLLERR | EPOLLHUP)) peer_done_ = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) on_readable();
}

size_t TcpConnection::read_some(uint8_t* buf, size_t n, std::error_code& ec) {
  for (;;) {
    ssize_t r = ::recv(fd_, buf, n, 0);
    if (r > 0) {
      ec.clear();
      return static_cast<size_t>(r);
    }
    if (r == 0) {
      ec = asio::error::eof;
      return 0;
    }
    if (errno != EINTR) {
      ec = errno_code(errno);
      return 0;
    }
  }
}

bool TcpConnection::on_readable() {
  FlushScope scope;  // replies and local deliveries go out before the loop polls again
  // Closing: input (even EOF) no longer matters, the flush finishes the job. Paused: the next
  // resume_reading() reads (the edge is not reported again).
  if (state_ != State::kOpen || paused_ || rehoming_ || fd_ < 0) return false;
  std::error_code ec;
  bool filled = false;
  ReadScratch& scratch = t_read_scratch;
  size_t held = input_.size();
  if (!ws_ && !scratch.busy && held <= limits_.read_buffer / 2) {
    // Common case: hand the bytes to the handler where they were read. A partial packet left
    // by the last read goes in front of them; only what is left unconsumed again is copied
    // back into input_.
    uint8_t* buf = scratch.get(limits_.read_buffer);
    if (held > 0) std::memcpy(buf, input_.data().data(), held);
    size_t want = limits_.read_buffer - held;
    size_t n = read_some(buf + held, want, ec);
    if (!ec) {
      filled = n == want;
      input_.clear();
      scratch.busy = true;
      deliver_direct({buf, held + n});
      scratch.busy = false;
      trim(input_);
    }
  } else {
    read_into_input(ec, filled);
    if (!ec) process_input();
  }
  if (ec) {
    if (would_block(ec)) return false;  // all read: the Poller reports the next bytes
    if (ec == asio::error::eof) {
      // The peer will send no more but may still read: flush what is queued, then close.
      spdlog::debug("net: conn {} {} closed by peer", id_, peer_);
      close();
    } else {
      fail("read", ec);
    }
    return true;
  }
  if (state_ != State::kOpen) return true;
  if (rehoming_) {
    continue_rehome();
    return true;
  }
  // Edge-triggered: a read that filled the buffer may have left bytes that will not be
  // reported again, and an EOF (or error) reported with the last bytes is not reported
  // twice. Read again on a later turn, after the other ready connections.
  if (filled || peer_done_) post_read();
  return true;
}

void TcpConnection::post_read() {
  if (read_posted_) return;
  read_posted_ = true;
  asio::post(io_of(*loop_), [self = shared_from_this(), e = epoch_.load()] {
    if (self->epoch_.load() != e) return;  // moved to another loop meanwhile
    self->read_posted_ = false;
    self->on_readable();
  });
}

void TcpConnection::read_into_input(std::error_code& ec, bool& filled) {
  ReadScratch& scratch = t_read_scratch;
  if (!ws_ || !input_.empty() || scratch.busy) {
    // A large packet being assembled (or the shared buffer in use further up the stack): read
    // straight into input_, the rest of an announced frame at once.
    size_t want = limits_.read_buffer;
    if (!ws_ && input_.expected() > input_.size()) {
      input_.get().ensure_total(input_.expected());
      want = std::max<size_t>(want, input_.expected() - input_.size());
    }
    std::span<uint8_t> buf = input_.prepare(want);
    size_t n = read_some(buf.data(), buf.size(), ec);
    filled = n == buf.size();
    input_.commit(n);
    return;
  }
  // WebSocket with nothing pending: input_ grows only by what was read.
  uint8_t* buf = scratch.get(limits_.read_buffer);
  size_t n = read_some(buf, limits_.read_buffer, ec);
  filled = n == limits_.read_buffer;
  if (!ec) append_input(input_.get(), buf, n);
}

void TcpConnection::deliver_direct(std::span<const uint8_t> data) {
  // Same loop as deliver(), over bytes that are not in input_.
  while (!paused_ && state_ == State::kOpen && handler_ && !data.empty()) {
    ++in_handler_;
    input_.set_expected(0);
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
  if (!data.empty() && state_ == State::kOpen) {
    InputBuffer& in = input_.get();
    if (in.expected() > data.size()) in.ensure_total(in.expected());
    append_input(in, data.data(), data.size());
  }
}

void TcpConnection::process_input() {
  if (ws_) {
    ws_process();
    trim(input_);
  } else {
    deliver();
  }
}

void TcpConnection::expect_input(size_t total) {
  // Kept with the buffered input (allocated only while a frame is partial), not in the
  // connection object, which every idle client pays for.
  input_.set_expected(total);
}

void TcpConnection::deliver() {
  if (!ws_ && input_.empty()) return;
  InputBuffer& in = app_input();
  while (!paused_ && state_ == State::kOpen && handler_ && !in.empty()) {
    ++in_handler_;
    input_.set_expected(0);
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
    FlushScope scope;
    // Readiness that came while paused was not acted on: read now. The handler is offered
    // what is buffered with the new bytes, or alone if there are none.
    if (!self->on_readable() && !self->paused_ && self->state_ == State::kOpen) self->deliver();
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
  if (prepare_batch()) write_loop();
}

bool TcpConnection::prepare_batch() {
  if (out_ && out_->pending.remaining() > 0) return true;  // carried over by a rehome
  if (!has_output()) {
    maybe_release_output();
    if (state_ == State::kClosing) finish_close();
    return false;
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
  return true;
}

void TcpConnection::write_loop() {
  for (;;) {
    writing_ = true;
    IoSlice slices[kMaxIov];
    size_t count = out_->pending.gather(slices, kMaxIov);
    iovec iov[kMaxIov];
    for (size_t i = 0; i < count; ++i) {
      iov[i].iov_base = const_cast<void*>(static_cast<const void*>(slices[i].data));
      iov[i].iov_len = slices[i].len;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    ssize_t r = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (r < 0) {
      int e = errno;
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        write_blocked_ = true;  // writing_ stays set: the Poller's EPOLLOUT continues
        return;
      }
      writing_ = false;
      fail("write", errno_code(e));
      return;
    }
    writing_ = false;
    out_->pending.consume(static_cast<size_t>(r));
    bool batch_done = out_->pending.remaining() == 0;
    if (batch_done) out_->pending.clear();  // releases the shared payloads, keeps capacity
    maybe_drain();
    if (state_ == State::kClosed) return;
    if (rehoming_) {
      continue_rehome();
      return;
    }
    if (!batch_done) continue;
    if (!prepare_batch()) return;  // else: what was queued meanwhile, in the same loop
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
  if (fd_ >= 0) {
    ::shutdown(fd_, SHUT_WR);
    // Read what the peer already sent: closing with unread input makes the kernel send RST,
    // which can make the peer drop our last bytes before reading them.
    uint8_t sink[4096];
    for (int i = 0; i < 16 && ::recv(fd_, sink, sizeof(sink), 0) > 0; ++i) {
    }
  }
  close_fd();
  finalize();
}

void TcpConnection::abort() {
  if (state_ == State::kClosed) return;
  auto self = shared_from_this();
  state_ = State::kClosed;
  close_fd();
  out_.reset();
  writing_ = false;
  write_blocked_ = false;
  rehoming_ = false;
  if (rehome_) rehome_->on_moved = nullptr;
  finalize();
}

void TcpConnection::fail(const char* what, const std::error_code& ec) {
  spdlog::warn("net: conn {} {} {} error: {}", id_, peer_, what, ec.message());
  abort();
}

void TcpConnection::close_for_exit() {
  // The loops are joined: no Poller to tell (closing the fd also leaves its epoll set).
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  polled_ = false;
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
  unregister();
  spdlog::debug("net: conn {} {} closed", id_, peer_);
}

}  // namespace unimq::net
