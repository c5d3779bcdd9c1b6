#include "protocol/kafka/session/kafka_session.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "net/event_loop.h"
#include "protocol/kafka/codec/generated/api_table.h"
#include "protocol/kafka/codec/generated/api_versions.h"
#include "protocol/kafka/error_codes.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/handlers/sasl_plain.h"
#include "protocol/kafka/handlers/unsupported_version.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

KafkaSession::KafkaSession(KafkaBroker& broker, net::Connection& conn)
    : broker_(broker),
      conn_(&conn),
      loop_(conn.loop()),
      local_host_(conn.local_address()),
      peer_(conn.peer()) {}

namespace {
int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

uint64_t KafkaSession::open_slot(int32_t correlation_id, int16_t version, bool flexible_header,
                                 int16_t api_key) {
  Slot s;
  s.correlation_id = correlation_id;
  s.version = version;
  s.flexible_header = flexible_header;
  s.api_key = api_key;
  if (api_key >= 0) s.start_ns = steady_ns();
  slots_.push_back(std::move(s));
  update_reading();
  return first_seq_ + slots_.size() - 1;
}

const KafkaSession::Slot* KafkaSession::find(uint64_t seq) const {
  if (seq < first_seq_ || seq >= first_seq_ + slots_.size()) return nullptr;
  return &slots_[seq - first_seq_];
}

int16_t KafkaSession::slot_version(uint64_t seq) const {
  const Slot* s = find(seq);
  return s ? s->version : 0;
}
bool KafkaSession::slot_flexible_header(uint64_t seq) const {
  const Slot* s = find(seq);
  return s && s->flexible_header;
}
int32_t KafkaSession::slot_correlation_id(uint64_t seq) const {
  const Slot* s = find(seq);
  return s ? s->correlation_id : 0;
}

void KafkaSession::complete(uint64_t seq, codec::Writer&& out, bool has_output) {
  if (seq < first_seq_ || seq >= first_seq_ + slots_.size()) return;
  Slot& s = slots_[seq - first_seq_];
  if (s.done) return;
  s.done = true;
  s.has_output = has_output;
  s.out = std::move(out);
  flush();
}

void KafkaSession::flush() {
  int64_t now = 0;  // read once for all the answers going out now
  while (!slots_.empty() && slots_.front().done) {
    Slot& s = slots_.front();
    if (metrics::Histogram* h = broker_.metrics().duration(s.api_key)) {
      if (now == 0) now = steady_ns();
      h->observe_ns(now - s.start_ns);
    }
    if (conn_ && s.has_output) {
      s.out.for_each_segment([this](std::span<const uint8_t> b) { conn_->send(b); },
                             [this](const codec::Writer::External& e) {
                               conn_->send_shared(e.data, e.size, e.owner);
                             });
    }
    slots_.pop_front();
    ++first_seq_;
  }
  update_reading();
}

void KafkaSession::update_reading() {
  if (!conn_) return;
  const bool should_pause = slots_.size() >= kMaxPending || conn_->congested();
  if (should_pause && !paused_) {
    paused_ = true;
    conn_->pause_reading();
  } else if (!should_pause && paused_) {
    paused_ = false;
    conn_->resume_reading();
  }
}

void KafkaSession::on_drain() { update_reading(); }

void KafkaSession::close(const char* why) {
  if (!conn_) return;
  spdlog::info("kafka: closing connection {}: {}", peer_, why);
  conn_->close();
}

void KafkaSession::add_waiting(std::weak_ptr<WaitingRequest> w) {
  if (!conn_) {  // already closed
    if (auto r = w.lock()) r->cancel();
    return;
  }
  // Most requests are answered long before the next one comes: forget them now and then.
  if (waiting_.size() >= 32) std::erase_if(waiting_, [](const auto& x) { return x.expired(); });
  waiting_.push_back(std::move(w));
}

void KafkaSession::on_closed() {
  conn_ = nullptr;
  auto waiting = std::move(waiting_);
  for (auto& w : waiting)
    if (auto r = w.lock()) r->cancel();
}

// ---- Responder (declared in handlers/handler.h)

void Responder::begin(codec::Writer& w) const {
  w.i32(0);
  codec::ResponseHeader h;
  h.correlation_id = session_->slot_correlation_id(seq_);
  h.encode(w, session_->slot_flexible_header(seq_) ? 1 : 0);
}

void Responder::finish(codec::Writer&& w) const {
  w.put_i32_at(0, int32_t(w.size() - 4));
  session_->complete(seq_, std::move(w), true);
}

void Responder::none() const { session_->complete(seq_, codec::Writer{}, false); }
void Responder::close(const char* why) const { session_->close(why); }
int16_t Responder::version() const { return session_->slot_version(seq_); }
net::EventLoop& Responder::loop() const { return session_->loop(); }
bool Responder::open() const { return session_->connection() != nullptr; }
void Responder::cancel_on_close(std::weak_ptr<WaitingRequest> w) const {
  session_->add_waiting(std::move(w));
}

void RequestContext::malformed() {
  spdlog::warn("kafka: malformed {} v{} request from {} (correlation id {})",
               codec::find_api_schema(header.request_api_key)
                   ? codec::find_api_schema(header.request_api_key)->name
                   : "?",
               version, session.peer(), header.correlation_id);
  respond.none();
  session.close("malformed request");
}

// ---- KafkaConnectionHandler

KafkaConnectionHandler::KafkaConnectionHandler(KafkaBroker& broker, net::Connection& conn)
    : broker_(broker), conn_(conn), session_(std::make_shared<KafkaSession>(broker, conn)) {
  broker_.register_connection(conn.id(), &conn, &conn.loop());
}

void KafkaConnectionHandler::on_closed() {
  session_->on_closed();
  broker_.unregister_connection(conn_.id());
}

namespace {
constexpr size_t kLargeRequest = 64 * 1024;
}  // namespace

size_t KafkaConnectionHandler::on_data(std::span<const uint8_t> data) {
  size_t used = 0;
  while (data.size() - used >= 4 && session_->connection() && conn_.is_open()) {
    if (session_->pending() >= KafkaSession::kMaxPending) break;  // resumes when answered
    const uint8_t* p = data.data() + used;
    const int32_t size = int32_t((uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) |
                                 (uint32_t(p[2]) << 8) | uint32_t(p[3]));
    if (size < (session_->raw_sasl_next ? 0 : 8) ||
        uint32_t(size) > broker_.options().max_request_size) {
      spdlog::warn("kafka: request of {} bytes from {} (limit {}): closing", size, conn_.peer(),
                   broker_.options().max_request_size);
      conn_.abort();
      return data.size();
    }
    if (data.size() - used - 4 < size_t(size)) {
      // A large request (a produce batch) is buffered in one piece rather than by doubling.
      if (size_t(size) >= kLargeRequest) conn_.expect_input(4 + size_t(size));
      break;
    }
    const auto frame = data.subspan(used + 4, size_t(size));
    const bool ok = session_->raw_sasl_next ? raw_sasl_token(frame) : dispatch(frame);
    used += 4 + size_t(size);
    if (!ok) return data.size();
  }
  return used;
}

bool KafkaConnectionHandler::raw_sasl_token(std::span<const uint8_t> frame) {
  session_->raw_sasl_next = false;
  std::string user;
  if (!check_sasl_plain(broker_.options().sasl_users, frame, user)) {
    spdlog::warn("kafka: SASL PLAIN authentication failed for user '{}' from {}", user,
                 conn_.peer());
    conn_.close();
    return false;
  }
  session_->authenticated = true;
  codec::Writer w;
  w.i32(0);  // an empty token frame: success
  session_->complete(session_->open_slot(0, 0, false), std::move(w), true);
  return true;
}

bool KafkaConnectionHandler::dispatch(std::span<const uint8_t> frame) {
  const int16_t key = int16_t((frame[0] << 8) | frame[1]);
  const int16_t version = int16_t((frame[2] << 8) | frame[3]);
  const codec::ApiSchema* schema = codec::find_api_schema(key);
  const bool flexible = schema && version >= schema->first_flexible;
  codec::Reader r(frame);
  codec::RequestHeader header;
  bool header_ok = header.decode(r, flexible ? 2 : 1);
  if (!header_ok && key == codec::api_key::kApiVersions) {
    // An ApiVersions of a version we do not know may come with either header (KIP-511):
    // its body is not read anyway.
    r = codec::Reader(frame);
    header = codec::RequestHeader{};
    header_ok = header.decode(r, 1);
  }
  if (!header_ok) {
    spdlog::warn("kafka: malformed request header from {}", conn_.peer());
    conn_.close();
    return false;
  }
  const HandlerEntry* entry = find_handler(key);
  const bool supported = entry && version >= entry->min_version && version <= entry->max_version;
  if (!supported && key == codec::api_key::kApiVersions) {
    // Kafka answers an unknown ApiVersions version with v0, UNSUPPORTED_VERSION and the list.
    const uint64_t seq = session_->open_slot(header.correlation_id, 0, false);
    codec::ApiVersionsResponse resp;
    resp.error_code = code(ErrorCode::kUnsupportedVersion);
    for (const auto& e : handler_table())
      resp.api_keys.push_back({e.api_key, e.min_version, e.max_version});
    Responder(session_, seq).send(resp);
    return true;
  }
  // A version Kafka defines but this broker does not serve is answered with
  // UNSUPPORTED_VERSION in that version's format (unsupported_version.cc), through the same
  // authentication check and response slot as a served one.
  HandlerFn handler = supported ? entry->fn : nullptr;
  if (!supported && entry && schema && version >= schema->min_version &&
      version <= schema->max_version)
    handler = unsupported_version_answer(key);
  if (!handler) {
    spdlog::warn("kafka: unsupported request (api key {} version {}) from {}: closing", key,
                 version, conn_.peer());
    conn_.close();
    return false;
  }
  if (!supported) {
    spdlog::warn("kafka: {} v{} from {} (served: v{}-{}): answering UNSUPPORTED_VERSION",
                 schema->name, version, conn_.peer(), entry->min_version, entry->max_version);
  }
  if (!broker_.options().sasl_users.empty() && !session_->authenticated &&
      key != codec::api_key::kApiVersions && key != codec::api_key::kSaslHandshake &&
      key != codec::api_key::kSaslAuthenticate) {
    spdlog::warn("kafka: {} sent api key {} before authenticating: closing", conn_.peer(), key);
    conn_.close();
    return false;
  }
  if (size_t(key) < broker_.metrics().requests.size() && broker_.metrics().requests[size_t(key)])
    broker_.metrics().requests[size_t(key)]->inc();
  // ApiVersions answers always use response header v0.
  const bool flexible_response = flexible && key != codec::api_key::kApiVersions;
  const uint64_t seq = session_->open_slot(header.correlation_id, version, flexible_response, key);
  RequestContext ctx{broker_, *session_, header, version, r.rest(), Responder(session_, seq)};
  handler(ctx);
  return session_->connection() != nullptr && conn_.is_open();
}

}  // namespace unimq::kafka
