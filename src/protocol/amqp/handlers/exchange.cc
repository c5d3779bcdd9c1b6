// exchange class: declare, delete, bind, unbind.
#include "protocol/amqp/codec/generated/exchange.h"
#include "protocol/amqp/broker/virtual_host.h"
#include "protocol/amqp/handlers/handler_util.h"

namespace unimq::amqp::handlers {

void handle(AmqpConnection& c, Channel& ch, const codec::ExchangeDeclare& m) {
  ExchangeDeclare d;
  d.name = m.exchange;
  d.type = m.type;
  d.passive = m.passive;
  d.durable = m.durable;
  d.auto_delete = m.auto_delete;
  d.internal = m.internal;
  d.args = to_arg_table(m.arguments);
  const Result r = c.virtual_host()->exchange_declare(d);
  if (!r.ok()) return fail(c, ch, r, m);
  if (!m.nowait) c.send_method(ch.id, codec::ExchangeDeclareOk{});
}

void handle(AmqpConnection& c, Channel& ch, const codec::ExchangeDelete& m) {
  const Result r = c.virtual_host()->exchange_delete(m.exchange, m.if_unused);
  if (!r.ok()) return fail(c, ch, r, m);
  if (!m.nowait) c.send_method(ch.id, codec::ExchangeDeleteOk{});
}

void handle(AmqpConnection& c, Channel& ch, const codec::ExchangeBind& m) {
  const Result r = c.virtual_host()->exchange_bind(m.destination, m.source, m.routing_key,
                                                   to_arg_table(m.arguments));
  if (!r.ok()) return fail(c, ch, r, m);
  if (!m.nowait) c.send_method(ch.id, codec::ExchangeBindOk{});
}

void handle(AmqpConnection& c, Channel& ch, const codec::ExchangeUnbind& m) {
  const Result r = c.virtual_host()->exchange_unbind(m.destination, m.source, m.routing_key,
                                                     to_arg_table(m.arguments));
  if (!r.ok()) return fail(c, ch, r, m);
  if (!m.nowait) c.send_method(ch.id, codec::ExchangeUnbindOk{});
}

}  // namespace unimq::amqp::handlers
