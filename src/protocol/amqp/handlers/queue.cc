// queue class: declare, bind, unbind, purge, delete.
#include "protocol/amqp/codec/generated/queue.h"
#include "protocol/amqp/broker/virtual_host.h"
#include "protocol/amqp/handlers/handler_util.h"

namespace unimq::amqp::handlers {

void handle(AmqpConnection& c, Channel& ch, const codec::QueueDeclare& m) {
  QueueDeclare d;
  d.name = m.queue;
  d.passive = m.passive;
  d.durable = m.durable;
  d.exclusive = m.exclusive;
  d.auto_delete = m.auto_delete;
  d.args = to_arg_table(m.arguments);
  d.connection_id = c.id();
  QueueDeclareOk ok;
  const Result r = c.virtual_host()->queue_declare(d, ok);
  if (!r.ok()) return fail(c, ch, r, m);
  ch.last_queue = ok.name;
  if (m.nowait) return;
  codec::QueueDeclareOk out;
  out.queue = ok.name;
  out.message_count = ok.message_count;
  out.consumer_count = ok.consumer_count;
  c.send_method(ch.id, out);
}

void handle(AmqpConnection& c, Channel& ch, const codec::QueueBind& m) {
  const Result r = c.virtual_host()->queue_bind(queue_name(ch, m.queue), m.exchange, m.routing_key,
                                                to_arg_table(m.arguments), c.id());
  if (!r.ok()) return fail(c, ch, r, m);
  if (!m.nowait) c.send_method(ch.id, codec::QueueBindOk{});
}

void handle(AmqpConnection& c, Channel& ch, const codec::QueueUnbind& m) {
  const Result r = c.virtual_host()->queue_unbind(queue_name(ch, m.queue), m.exchange,
                                                  m.routing_key, to_arg_table(m.arguments), c.id());
  if (!r.ok()) return fail(c, ch, r, m);
  c.send_method(ch.id, codec::QueueUnbindOk{});
}

void handle(AmqpConnection& c, Channel& ch, const codec::QueuePurge& m) {
  uint32_t count = 0;
  const Result r = c.virtual_host()->queue_purge(queue_name(ch, m.queue), c.id(), count);
  if (!r.ok()) return fail(c, ch, r, m);
  if (m.nowait) return;
  codec::QueuePurgeOk ok;
  ok.message_count = count;
  c.send_method(ch.id, ok);
}

void handle(AmqpConnection& c, Channel& ch, const codec::QueueDelete& m) {
  uint32_t count = 0;
  const Result r = c.virtual_host()->queue_delete(queue_name(ch, m.queue), m.if_unused, m.if_empty,
                                                  c.id(), count);
  if (!r.ok()) return fail(c, ch, r, m);
  if (m.nowait) return;
  codec::QueueDeleteOk ok;
  ok.message_count = count;
  c.send_method(ch.id, ok);
}

}  // namespace unimq::amqp::handlers
