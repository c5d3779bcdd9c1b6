// Validation of queue arguments, with RabbitMQ's reply texts.
#include "protocol/amqp/broker/queue.h"

namespace unimq::amqp {

const char* death_reason_name(DeathReason r) {
  switch (r) {
    case DeathReason::Rejected:
      return "rejected";
    case DeathReason::Expired:
      return "expired";
    case DeathReason::MaxLen:
      return "maxlen";
  }
  return "rejected";
}

namespace {

Result bad(std::string_view key, const std::string& why) {
  return Result::Error(reply::kPreconditionFailed,
                       "PRECONDITION_FAILED - invalid arg '" + std::string(key) + "' for " + why);
}

Result non_negative(const ArgTable& args, std::string_view key, std::optional<int64_t>& out,
                    bool positive = false) {
  const ArgValue* v = find_arg(args, key);
  if (!v) return Result::Ok();
  if (!v->is_integer()) return bad(key, "queue: expected an integer");
  if (v->i < 0 || (positive && v->i == 0))
    return bad(key, positive ? "queue: value must be positive" : "queue: value is negative");
  out = v->i;
  return Result::Ok();
}

}  // namespace

Result parse_queue_settings(const ArgTable& args, QueueSettings& s) {
  Result r;
  if (!(r = non_negative(args, "x-message-ttl", s.message_ttl_ms)).ok()) return r;
  if (!(r = non_negative(args, "x-expires", s.expires_ms, true)).ok()) return r;
  if (!(r = non_negative(args, "x-max-length", s.max_length)).ok()) return r;
  if (!(r = non_negative(args, "x-max-length-bytes", s.max_length_bytes)).ok()) return r;
  if (const ArgValue* v = find_arg(args, "x-overflow")) {
    if (!v->is_string()) return bad("x-overflow", "queue: expected a string");
    if (v->s == "reject-publish") {
      s.reject_publish = true;
    } else if (v->s == "reject-publish-dlx") {
      s.reject_publish = s.reject_publish_dlx = true;
    } else if (v->s != "drop-head") {
      return bad("x-overflow", "queue: unknown overflow '" + v->s + "'");
    }
  }
  if (const ArgValue* v = find_arg(args, "x-dead-letter-exchange")) {
    if (!v->is_string()) return bad("x-dead-letter-exchange", "queue: expected a string");
    s.dead_letter_exchange = v->s;
  }
  if (const ArgValue* v = find_arg(args, "x-dead-letter-routing-key")) {
    if (!v->is_string()) return bad("x-dead-letter-routing-key", "queue: expected a string");
    if (!s.dead_letter_exchange)
      return Result::Error(reply::kPreconditionFailed,
                           "PRECONDITION_FAILED - invalid arg 'x-dead-letter-routing-key': "
                           "x-dead-letter-exchange is not set");
    s.dead_letter_routing_key = v->s;
  }
  if (const ArgValue* v = find_arg(args, "x-single-active-consumer")) {
    if (v->type != 't') return bad("x-single-active-consumer", "queue: expected a boolean");
    s.single_active_consumer = v->i != 0;
  }
  if (const ArgValue* v = find_arg(args, "x-max-priority")) {
    if (!v->is_integer() || v->i < 0 || v->i > 255)
      return bad("x-max-priority", "queue: expected an integer between 0 and 255");
    s.max_priority = static_cast<uint8_t>(v->i);
  }
  if (const ArgValue* v = find_arg(args, "x-queue-type")) {
    if (!v->is_string()) return bad("x-queue-type", "queue: expected a string");
    if (v->s != "classic" && v->s != "quorum")
      return bad("x-queue-type", "queue: queue type '" + v->s + "' is not supported");
  }
  return Result::Ok();
}

}  // namespace unimq::amqp
