// Helpers shared by the class handlers (internal to handlers/).
#pragma once

#include <string>

#include "protocol/amqp/broker/field_table.h"
#include "protocol/amqp/broker/result.h"
#include "protocol/amqp/codec/field_table.h"
#include "protocol/amqp/session/amqp_connection.h"
#include "protocol/amqp/session/channel.h"

// The handled methods; each handler file includes its own class header.
namespace unimq::amqp::codec {
struct ExchangeDeclare;
struct ExchangeDelete;
struct ExchangeBind;
struct ExchangeUnbind;
struct QueueDeclare;
struct QueueBind;
struct QueueUnbind;
struct QueuePurge;
struct QueueDelete;
struct BasicQos;
struct BasicPublish;
struct BasicGet;
struct BasicAck;
struct BasicNack;
struct BasicReject;
struct BasicRecover;
struct BasicRecoverAsync;
struct BasicConsume;
struct BasicCancel;
struct ConfirmSelect;
struct TxSelect;
struct TxCommit;
struct TxRollback;
}  // namespace unimq::amqp::codec

namespace unimq::amqp::handlers {

// The codec's table as the broker model's argument table (declares and binds only).
ArgTable to_arg_table(const codec::FieldTable& t);

// Answers a failed broker operation as RabbitMQ does: 403/404/405/406 close the channel,
// anything else (503, 530, 541, ...) the connection.
void fail(AmqpConnection& c, Channel& ch, const Result& r, uint16_t class_id, uint16_t method_id);

template <typename M>
void fail(AmqpConnection& c, Channel& ch, const Result& r, const M&) {
  fail(c, ch, r, M::kClassId, M::kMethodId);
}

// "" in a queue method means the channel's last declared queue (RabbitMQ).
const std::string& queue_name(const Channel& ch, const std::string& given);

// Publishes one assembled message (also tx.commit): routing, mandatory return, confirm.
void publish_now(AmqpConnection& c, Channel& ch, const std::string& exchange, const MessagePtr& msg,
                 bool mandatory);
// Publisher confirms (basic.cc): confirm() records the outcome of publish `seq`; acks are
// coalesced (multiple=true where contiguous) and sent by emit_confirms().
void confirm(AmqpConnection& c, Channel& ch, uint64_t seq, bool ok);
// basic.ack / nack / reject on the unacked map (also tx.commit). Returns false after it
// closed the channel for an unknown tag.
bool settle(AmqpConnection& c, Channel& ch, uint64_t tag, bool multiple, bool reject, bool requeue,
            uint16_t method_id);

// After acks: consumers held back by the channel-wide prefetch may take more (consume.cc).
void consumers_settled(AmqpConnection& c, Channel& ch);

// Per-class handlers (exchange.cc, queue.cc, basic.cc, consume.cc, confirm.cc, tx.cc).
void handle(AmqpConnection& c, Channel& ch, const codec::ExchangeDeclare& m);
void handle(AmqpConnection& c, Channel& ch, const codec::ExchangeDelete& m);
void handle(AmqpConnection& c, Channel& ch, const codec::ExchangeBind& m);
void handle(AmqpConnection& c, Channel& ch, const codec::ExchangeUnbind& m);
void handle(AmqpConnection& c, Channel& ch, const codec::QueueDeclare& m);
void handle(AmqpConnection& c, Channel& ch, const codec::QueueBind& m);
void handle(AmqpConnection& c, Channel& ch, const codec::QueueUnbind& m);
void handle(AmqpConnection& c, Channel& ch, const codec::QueuePurge& m);
void handle(AmqpConnection& c, Channel& ch, const codec::QueueDelete& m);
void handle(AmqpConnection& c, Channel& ch, const codec::BasicQos& m);
void handle(AmqpConnection& c, Channel& ch, const codec::BasicPublish& m);
void handle(AmqpConnection& c, Channel& ch, const codec::BasicGet& m);
void handle(AmqpConnection& c, Channel& ch, const codec::BasicAck& m);
void handle(AmqpConnection& c, Channel& ch, const codec::BasicNack& m);
void handle(AmqpConnection& c, Channel& ch, const codec::BasicReject& m);
void handle(AmqpConnection& c, Channel& ch, const codec::BasicRecover& m);
void handle(AmqpConnection& c, Channel& ch, const codec::BasicRecoverAsync& m);
void handle(AmqpConnection& c, Channel& ch, const codec::BasicConsume& m);
void handle(AmqpConnection& c, Channel& ch, const codec::BasicCancel& m);
void handle(AmqpConnection& c, Channel& ch, const codec::ConfirmSelect& m);
void handle(AmqpConnection& c, Channel& ch, const codec::TxSelect& m);
void handle(AmqpConnection& c, Channel& ch, const codec::TxCommit& m);
void handle(AmqpConnection& c, Channel& ch, const codec::TxRollback& m);

}  // namespace unimq::amqp::handlers
