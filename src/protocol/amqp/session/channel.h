// One AMQP channel's state inside a connection: open/closing, flow, the content being
// assembled (basic.publish + header + body frames), consumers, unacked deliveries, publisher
// confirms and tx mode. Touched only on the connection's loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "protocol/amqp/broker/exchange.h"
#include "protocol/amqp/broker/message.h"
#include "protocol/amqp/broker/queue.h"
#include "protocol/amqp/codec/generated/basic.h"

namespace unimq::amqp {

class ChannelConsumer;

// The part of a channel its consumers read from queue threads: deliveries in flight for the
// channel-wide prefetch (basic.qos global=true).
struct ChannelCredit {
  std::atomic<uint32_t> in_flight{0};
  std::atomic<uint32_t> prefetch{0};  // 0 = unlimited
};

struct Channel {
  Channel(uint16_t channel_id, uint64_t generation) : id(channel_id), epoch(generation) {}

  enum class State { Open, Closing };  // Closing: we sent channel.close, awaiting close-ok
  enum class Content { None, Header, Body };

  uint16_t id;
  uint64_t epoch;  // unique per open on the connection: late callbacks check it
  State state = State::Open;
  bool flow_active = true;

  // Content assembly.
  Content content = Content::None;
  codec::BasicPublish publish;
  uint64_t body_size = 0;
  std::string properties;  // raw property flags + list, as received
  std::string body;

  // Consumers by tag; deliveries not yet acked by delivery tag (ordered for multiple=true).
  std::map<std::string, std::shared_ptr<ChannelConsumer>> consumers;
  struct Unacked {
    QueuePtr queue;
    uint64_t entry = 0;  // the queue's id for Queue::ack / reject
  };
  std::map<uint64_t, Unacked> unacked;
  uint64_t next_delivery_tag = 1;
  uint16_t prefetch_consumer = 0;  // basic.qos global=false: for consumers created after
  uint16_t prefetch_channel = 0;   // basic.qos global=true
  std::shared_ptr<ChannelCredit> credit = std::make_shared<ChannelCredit>();
  std::string last_queue;  // "" in queue methods means the last declared queue

  // Publisher confirms.
  bool confirm_mode = false;
  uint64_t next_publish_seq = 1;
  std::set<uint64_t> unconfirmed;    // published, neither acked nor nacked yet
  std::vector<uint64_t> acks_ready;  // acks to send at the end of this loop turn

  // Transactions: publishes and acks held until tx.commit.
  bool tx_mode = false;
  struct TxPublish {
    std::string exchange;
    MessagePtr message;
    bool mandatory = false;
  };
  std::vector<TxPublish> tx_publishes;
  struct TxAck {
    uint64_t tag = 0;
    bool multiple = false;
    bool reject = false;  // nack / reject
    bool requeue = false;
  };
  std::vector<TxAck> tx_acks;
};

}  // namespace unimq::amqp
