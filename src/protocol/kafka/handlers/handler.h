// What every Kafka API handler sees: the request (header + body bytes), the broker, the
// connection's session, and a Responder to answer now or later. Handlers run on the
// connection's loop; an asynchronous handler copies the Responder into its callback and posts
// back to `ctx.loop()` before answering. Answers go out in request order whatever order
// handlers finish in (librdkafka pipelines requests).
//
// Adding an API: write handlers/<api>.cc defining `void handle_<api>(RequestContext&)`,
// declare it in handlers/registry.h and add a row to the table in handlers/registry.cc with
// the versions that really work (ApiVersions is answered from that table).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "protocol/kafka/codec/generated/headers.h"
#include "protocol/kafka/codec/writer.h"

namespace unimq::net {
class EventLoop;
}

namespace unimq::kafka {

class KafkaBroker;
class KafkaSession;
class WaitingRequest;

// Completes one request. Cheap to copy; must be used on the connection's loop; answering
// after the connection closed is a no-op. Exactly one of send()/none() per request.
class Responder {
 public:
  Responder() = default;
  Responder(std::shared_ptr<KafkaSession> session, uint64_t seq)
      : session_(std::move(session)), seq_(seq) {}

  template <typename Response>
  void send(const Response& body) const {
    codec::Writer w;
    begin(w);
    body.encode(w, version());
    finish(std::move(w));
  }
  // No answer at all (Produce with acks=0); later answers are not held back by this one.
  void none() const;
  // Closes the connection (malformed or forbidden request).
  void close(const char* why) const;

  int16_t version() const;
  net::EventLoop& loop() const;
  bool open() const;
  // The request waits on its own: cancel it if the connection closes first.
  void cancel_on_close(std::weak_ptr<WaitingRequest> w) const;

 private:
  void begin(codec::Writer& w) const;  // size placeholder + response header
  void finish(codec::Writer&& w) const;

  std::shared_ptr<KafkaSession> session_;
  uint64_t seq_ = 0;
};

struct RequestContext {
  KafkaBroker& broker;
  KafkaSession& session;
  const codec::RequestHeader& header;
  int16_t version;
  std::span<const uint8_t> body;  // valid during the handler call only
  Responder respond;

  net::EventLoop& loop() const { return respond.loop(); }
  // Decodes the body; on failure logs, closes the connection and returns false.
  template <typename Request>
  bool decode(Request& out) {
    codec::Reader r(body);
    if (out.decode(r, version)) return true;
    malformed();
    return false;
  }
  void malformed();
};

using HandlerFn = void (*)(RequestContext& ctx);

struct HandlerEntry {
  int16_t api_key;
  int16_t min_version;
  int16_t max_version;
  HandlerFn fn;
};

}  // namespace unimq::kafka
