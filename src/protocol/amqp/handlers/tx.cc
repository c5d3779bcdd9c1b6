// tx class: select, commit, rollback. Publishes and acks are buffered on the channel and
// carried out at commit.
#include "protocol/amqp/codec/generated/tx.h"
#include "protocol/amqp/codec/generated/basic.h"
#include "protocol/amqp/handlers/handler_util.h"

namespace unimq::amqp::handlers {

void handle(AmqpConnection& c, Channel& ch, const codec::TxSelect& m) {
  if (ch.confirm_mode)
    return c.close_channel(ch, codec::kPreconditionFailed,
                           "PRECONDITION_FAILED - cannot switch from confirm to tx mode",
                           m.kClassId, m.kMethodId);
  ch.tx_mode = true;
  c.send_method(ch.id, codec::TxSelectOk{});
}

void handle(AmqpConnection& c, Channel& ch, const codec::TxCommit& m) {
  if (!ch.tx_mode)
    return c.close_channel(ch, codec::kPreconditionFailed,
                           "PRECONDITION_FAILED - channel is not transactional", m.kClassId,
                           m.kMethodId);
  auto publishes = std::move(ch.tx_publishes);
  auto acks = std::move(ch.tx_acks);
  ch.tx_publishes.clear();
  ch.tx_acks.clear();
  for (auto& p : publishes) {
    publish_now(c, ch, p.exchange, p.message, p.mandatory);
    if (ch.state != Channel::State::Open) return;
  }
  for (auto& a : acks)
    if (!settle(c, ch, a.tag, a.multiple, a.reject, a.requeue, codec::BasicAck::kMethodId)) return;
  c.send_method(ch.id, codec::TxCommitOk{});
}

void handle(AmqpConnection& c, Channel& ch, const codec::TxRollback& m) {
  if (!ch.tx_mode)
    return c.close_channel(ch, codec::kPreconditionFailed,
                           "PRECONDITION_FAILED - channel is not transactional", m.kClassId,
                           m.kMethodId);
  ch.tx_publishes.clear();
  ch.tx_acks.clear();
  c.send_method(ch.id, codec::TxRollbackOk{});
}

}  // namespace unimq::amqp::handlers
