// basic class: qos, publish (content assembled by the connection), get, ack, nack, reject,
// recover, recover-async. Consumers are in consume.cc.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "net/event_loop.h"
#include "protocol/amqp/broker/virtual_host.h"
#include "protocol/amqp/codec/generated/basic.h"
#include "protocol/amqp/handlers/handler_util.h"
#include "protocol/amqp/handlers/handlers.h"
#include "protocol/amqp/session/server_context.h"

namespace unimq::amqp::handlers {

void handle(AmqpConnection& c, Channel& ch, const codec::BasicQos& m) {
  if (m.prefetch_size != 0)
    return c.close_connection(
        codec::kNotImplemented,
        "NOT_IMPLEMENTED - prefetch_size!=0 (" + std::to_string(m.prefetch_size) + ")", m.kClassId,
        m.kMethodId);
  // As RabbitMQ: global=false limits each consumer created afterwards, global=true the
  // channel as a whole.
  if (m.global) {
    ch.prefetch_channel = m.prefetch_count;
    ch.credit->prefetch.store(m.prefetch_count);
  } else
    ch.prefetch_consumer = m.prefetch_count;
  c.send_method(ch.id, codec::BasicQosOk{});
}

void handle(AmqpConnection&, Channel& ch, const codec::BasicPublish& m) {
  ch.publish = m;
  ch.content = Channel::Content::Header;
}

void confirm(AmqpConnection& c, Channel& ch, uint64_t seq, bool ok) {
  ch.unconfirmed.erase(seq);
  if (ok) {
    // Batched: emit_confirms() runs once the current loop turn's confirms are in.
    ch.acks_ready.push_back(seq);
    return c.schedule_confirms(ch.id);
  }
  emit_confirms(c, ch);  // keep acks before this nack in order
  codec::BasicNack n;
  n.delivery_tag = seq;
  n.requeue = false;
  c.send_method(ch.id, n);
}

void emit_confirms(AmqpConnection& c, Channel& ch) {
  if (ch.acks_ready.empty()) return;
  std::sort(ch.acks_ready.begin(), ch.acks_ready.end());
  const uint64_t last = ch.acks_ready.back();
  codec::BasicAck a;
  // One multiple=true ack when nothing at or below `last` is still unconfirmed (nacks were
  // sent before, so they are not outstanding either).
  if (ch.acks_ready.size() > 1 && (ch.unconfirmed.empty() || *ch.unconfirmed.begin() > last)) {
    a.delivery_tag = last;
    a.multiple = true;
    c.send_method(ch.id, a);
  } else {
    for (uint64_t seq : ch.acks_ready) {
      a.delivery_tag = seq;
      c.send_method(ch.id, a);
    }
  }
  ch.acks_ready.clear();
}

void publish_complete(AmqpConnection& c, Channel& ch) {
  std::string error;
  MessagePtr msg = make_message(ch.publish.exchange, ch.publish.routing_key,
                                std::move(ch.properties), std::move(ch.body), &error);
  ch.properties.clear();
  ch.body.clear();
  if (!msg)
    return c.close_channel(ch, codec::kPreconditionFailed, "PRECONDITION_FAILED - " + error,
                           codec::kClassBasic, codec::BasicPublish::kMethodId);
  if (ch.tx_mode) {
    ch.tx_publishes.push_back({ch.publish.exchange, std::move(msg), ch.publish.mandatory});
    return;
  }
  publish_now(c, ch, ch.publish.exchange, msg, ch.publish.mandatory);
}

void publish_now(AmqpConnection& c, Channel& ch, const std::string& exchange, const MessagePtr& msg,
                 bool mandatory) {
  const uint64_t seq = ch.confirm_mode ? ch.next_publish_seq++ : 0;
  if (seq) ch.unconfirmed.insert(seq);
  std::function<void(bool)> on_stored;
  if (seq) {
    // Journal completion arrives on a storage thread: confirm on the connection's loop, if
    // the channel is still the one that published.
    on_stored = [link = c.link(), id = ch.id, epoch = ch.epoch, seq](bool ok) {
      link->loop->post([link, id, epoch, seq, ok] {
        AmqpConnection* conn = link->conn;
        if (!conn) return;
        Channel* ch = conn->channel(id);
        if (ch && ch->epoch == epoch && ch->state == Channel::State::Open)
          confirm(*conn, *ch, seq, ok);
      });
    };
  }
  const PublishOutcome out = c.virtual_host()->publish(exchange, msg, on_stored);
  if (!out.error.ok())
    return fail(c, ch, out.error, codec::kClassBasic, codec::BasicPublish::kMethodId);
  if (mandatory && !out.routed) {
    codec::BasicReturn ret;
    ret.reply_code = codec::kNoRoute;
    ret.reply_text = "NO_ROUTE";
    ret.exchange = exchange;
    ret.routing_key = msg->routing_key;
    c.send_content(ch.id, ret, msg);
  }
  if (seq && !out.store_pending) confirm(c, ch, seq, !out.rejected);
}

void handle(AmqpConnection& c, Channel& ch, const codec::BasicGet& m) {
  QueuePtr q;
  const Result r = c.virtual_host()->find_queue(queue_name(ch, m.queue), c.id(), q);
  if (!r.ok()) return fail(c, ch, r, m);
  auto got = q->get(m.no_ack);
  if (!got) return c.send_method(ch.id, codec::BasicGetEmpty{});
  codec::BasicGetOk ok;
  ok.delivery_tag = ch.next_delivery_tag++;
  ok.redelivered = got->delivery.redelivered;
  ok.exchange = got->delivery.message->exchange;
  ok.routing_key = got->delivery.message->routing_key;
  ok.message_count = got->message_count;
  if (!m.no_ack) {
    ch.unacked[ok.delivery_tag] = {q, got->delivery.id};
    ch.credit->in_flight.fetch_add(1);
  }
  c.send_content(ch.id, ok, got->delivery.message);
}

bool settle(AmqpConnection& c, Channel& ch, uint64_t tag, bool multiple, bool reject, bool requeue,
            uint16_t method_id) {
  auto first = ch.unacked.begin();
  auto last = ch.unacked.end();
  if (multiple) {
    if (tag != 0) last = ch.unacked.upper_bound(tag);
  } else {
    first = ch.unacked.find(tag);
    if (first == ch.unacked.end()) {
      c.close_channel(ch, codec::kPreconditionFailed,
                      "PRECONDITION_FAILED - unknown delivery tag " + std::to_string(tag),
                      codec::kClassBasic, method_id);
      return false;
    }
    last = std::next(first);
  }
  if (multiple && tag != 0 && first == last) {
    c.close_channel(ch, codec::kPreconditionFailed,
                    "PRECONDITION_FAILED - unknown delivery tag " + std::to_string(tag),
                    codec::kClassBasic, method_id);
    return false;
  }
  // Group consecutive entries of one queue into one call.
  std::vector<uint64_t> ids;
  QueuePtr q;
  size_t n = 0;
  auto flush = [&] {
    if (!q || ids.empty()) return;
    if (reject)
      q->reject(ids, requeue);
    else
      q->ack(ids);
    ids.clear();
  };
  for (auto it = first; it != last; ++it, ++n) {
    if (it->second.queue != q) {
      flush();
      q = it->second.queue;
    }
    ids.push_back(it->second.entry);
  }
  flush();
  ch.unacked.erase(first, last);
  ch.credit->in_flight.fetch_sub(static_cast<uint32_t>(n));
  if (!reject) c.server().metrics().acked.inc(n);
  consumers_settled(c, ch);
  return true;
}

namespace {
void settle_or_buffer(AmqpConnection& c, Channel& ch, uint64_t tag, bool multiple, bool reject,
                      bool requeue, uint16_t method_id) {
  if (ch.tx_mode) {
    ch.tx_acks.push_back({tag, multiple, reject, requeue});
    return;
  }
  settle(c, ch, tag, multiple, reject, requeue, method_id);
}
}  // namespace

void handle(AmqpConnection& c, Channel& ch, const codec::BasicAck& m) {
  settle_or_buffer(c, ch, m.delivery_tag, m.multiple, false, false, m.kMethodId);
}

void handle(AmqpConnection& c, Channel& ch, const codec::BasicNack& m) {
  settle_or_buffer(c, ch, m.delivery_tag, m.multiple, true, m.requeue, m.kMethodId);
}

void handle(AmqpConnection& c, Channel& ch, const codec::BasicReject& m) {
  settle_or_buffer(c, ch, m.delivery_tag, false, true, m.requeue, m.kMethodId);
}

void handle(AmqpConnection& c, Channel& ch, const codec::BasicRecover& m) {
  // RabbitMQ requeues in both cases (requeue=false is treated like true).
  (void)m;
  if (!ch.unacked.empty()) settle(c, ch, 0, true, true, true, m.kMethodId);
  c.send_method(ch.id, codec::BasicRecoverOk{});
}

void handle(AmqpConnection& c, Channel& ch, const codec::BasicRecoverAsync& m) {
  if (!ch.unacked.empty()) settle(c, ch, 0, true, true, true, m.kMethodId);
}

}  // namespace unimq::amqp::handlers
