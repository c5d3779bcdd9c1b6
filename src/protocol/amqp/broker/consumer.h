// What a queue delivers to. The channel implements Consumer (one object per basic.consume);
// it owns delivery tags and hands the queue's entry id back in ack/reject.
//
// Threading: a queue calls deliver() from whichever thread triggered the dispatch (the
// publisher's loop, the acker's loop, the housekeeping thread), never with a broker lock held,
// and never concurrently for the same queue: deliveries of one queue arrive in queue order.
// Deliveries from different queues may arrive concurrently, so deliver() must be thread-safe
// (typically: append to a small locked batch and post one flush to the channel's loop).
#pragma once

#include <cstdint>
#include <string>

#include "protocol/amqp/broker/field_table.h"
#include "protocol/amqp/broker/message.h"

namespace unimq::amqp {

class Queue;

struct Delivery {
  MessagePtr message;
  uint64_t id = 0;  // the queue's entry id: hand it back to Queue::ack / Queue::reject
  bool redelivered = false;
};

class Consumer {
 public:
  virtual ~Consumer() = default;
  virtual void deliver(Queue& queue, const Delivery& d) = 0;
  // Flow control: false pauses deliveries to this consumer (e.g. its connection's output is
  // congested, or its channel's global prefetch is used up); call Queue::dispatch() once
  // ready again. Called with the queue lock held: must be cheap and must not call into the
  // broker. Contract: the queue calls ready() only when the consumer has per-consumer credit
  // and a message is waiting, and a true answer commits it to deliver exactly one message
  // to this consumer, so ready() may reserve channel-wide credit atomically.
  virtual bool ready() const { return true; }
  // The server cancelled the consumer (its queue was deleted): send basic.cancel to clients
  // that announced consumer_cancel_notify. Any thread, no broker lock held.
  virtual void cancelled() = 0;
};

// Session recipes:
//  - basic.qos global=false (per consumer, RabbitMQ's meaning): ConsumeOptions::prefetch.
//  - basic.qos global=true (per channel): ready() reserves one unit of the channel's credit
//    (compare-and-swap below the limit) or returns false; after acks free credit, call
//    dispatch() on the queues the channel consumes from.
//  - basic.recover(requeue) / channel close: Queue::reject(unacked ids, requeue=true);
//    then cancel() each consumer on channel close.
//  - basic.ack/nack multiple=true: the channel expands delivery tags to entry ids per queue.
struct ConsumeOptions {
  std::string tag;
  bool no_ack = false;
  bool exclusive = false;
  uint32_t prefetch = 0;  // unacked deliveries allowed in flight; 0 = unlimited
  ArgTable args;
};

}  // namespace unimq::amqp
