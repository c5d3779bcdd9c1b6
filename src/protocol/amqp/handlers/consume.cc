// basic.consume / basic.cancel and the queue -> channel delivery path; what a closing
// channel or connection gives back to the queues.
#include <spdlog/spdlog.h>

#include <mutex>
#include <vector>

#include "net/event_loop.h"
#include "protocol/amqp/broker/broker.h"
#include "protocol/amqp/broker/virtual_host.h"
#include "protocol/amqp/codec/generated/basic.h"
#include "protocol/amqp/handlers/handler_util.h"
#include "protocol/amqp/handlers/handlers.h"
#include "protocol/amqp/session/server_context.h"

namespace unimq::amqp {

// One basic.consume. Queues call deliver() from any thread: it posts the delivery to the
// connection's loop, which assigns the delivery tag and writes the frames. A delivery that
// finds its channel or consumer gone is requeued.
class ChannelConsumer : public Consumer, public std::enable_shared_from_this<ChannelConsumer> {
 public:
  ChannelConsumer(std::shared_ptr<ConnectionLink> link, uint16_t channel, uint64_t epoch,
                  std::string tag, bool no_ack, std::shared_ptr<ChannelCredit> credit)
      : link_(std::move(link)),
        channel_(channel),
        epoch_(epoch),
        tag_(std::move(tag)),
        no_ack_(no_ack),
        credit_(std::move(credit)) {}

  QueuePtr queue;
  const std::string& tag() const { return tag_; }

  // Deliveries are batched: the first one of a batch posts a drain to the loop, the rest
  // only append (no allocation per message once the vectors have grown).
  void deliver(Queue&, const Delivery& d) override {
    bool post = false;
    {
      std::lock_guard lk(mu_);
      pending_.push_back(d);
      post = !drain_posted_;
      drain_posted_ = true;
    }
    if (post) link_->loop->post([self = shared_from_this()] { self->drain(); });
  }

  // The queue picks this consumer for the next delivery exactly when ready() returns true
  // (it collects a batch under its lock and calls deliver() later), so the channel-wide
  // credit is taken here, atomically across the channel's queues, not in deliver().
  bool ready() const override {
    if (link_->congested.load(std::memory_order_relaxed)) return false;
    if (no_ack_) return true;
    uint32_t cur = credit_->in_flight.load(std::memory_order_relaxed);
    for (;;) {
      const uint32_t limit = credit_->prefetch.load(std::memory_order_relaxed);
      if (limit != 0 && cur >= limit) return false;
      if (credit_->in_flight.compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed))
        return true;
    }
  }

  void cancelled() override {
    link_->loop->post([self = shared_from_this()] {
      auto [conn, ch] = self->find();
      if (!ch) return;
      ch->consumers.erase(self->tag_);
      codec::BasicCancel cancel;
      cancel.consumer_tag = self->tag_;
      cancel.nowait = true;
      conn->send_method(ch->id, cancel);
    });
  }

 private:
  std::pair<AmqpConnection*, Channel*> find() const {
    AmqpConnection* conn = link_->conn;
    if (!conn) return {nullptr, nullptr};
    Channel* ch = conn->channel(channel_);
    if (!ch || ch->epoch != epoch_ || ch->state != Channel::State::Open) return {conn, nullptr};
    return {conn, ch};
  }

  void drain() {
    {
      std::lock_guard lk(mu_);
      draining_.swap(pending_);
      drain_posted_ = false;
    }
    AmqpConnection* conn = link_->conn;
    if (conn)
      conn->batch([&] {
        for (const Delivery& d : draining_) on_loop(queue, d);
      });
    else
      for (const Delivery& d : draining_) on_loop(queue, d);
    draining_.clear();
  }

  void on_loop(const QueuePtr& q, const Delivery& d) {
    auto [conn, ch] = find();
    if (!ch || !ch->consumers.count(tag_)) {
      if (!no_ack_) {
        credit_->in_flight.fetch_sub(1);
        const uint64_t id = d.id;
        q->reject(std::span<const uint64_t>(&id, 1), true);
      }
      return;
    }
    // One reused method struct: the strings keep their capacity, so no allocation per
    // delivery once warmed up.
    codec::BasicDeliver& m = deliver_;
    if (m.consumer_tag.empty()) m.consumer_tag = tag_;
    m.delivery_tag = ch->next_delivery_tag++;
    m.redelivered = d.redelivered;
    m.exchange.assign(d.message->exchange);
    m.routing_key.assign(d.message->routing_key);
    if (!no_ack_) ch->unacked[m.delivery_tag] = {q, d.id};
    conn->send_content(ch->id, m, d.message);
  }

  std::shared_ptr<ConnectionLink> link_;
  uint16_t channel_;
  uint64_t epoch_;
  std::string tag_;
  bool no_ack_;
  std::shared_ptr<ChannelCredit> credit_;
  std::mutex mu_;
  std::vector<Delivery> pending_;   // guarded by mu_
  bool drain_posted_ = false;       // guarded by mu_
  std::vector<Delivery> draining_;  // loop thread only
  codec::BasicDeliver deliver_;     // loop thread only
};

namespace handlers {

void handle(AmqpConnection& c, Channel& ch, const codec::BasicConsume& m) {
  QueuePtr q;
  const Result r = c.virtual_host()->find_queue(queue_name(ch, m.queue), c.id(), q);
  if (!r.ok()) return fail(c, ch, r, m);
  std::string tag = m.consumer_tag;
  if (tag.empty()) {
    static std::atomic<uint64_t> next{1};
    tag = "amq.ctag-unimq-" + std::to_string(next.fetch_add(1));
  }
  if (ch.consumers.count(tag))
    return c.close_connection(codec::kNotAllowed,
                              "NOT_ALLOWED - attempt to reuse consumer tag '" + tag + "'",
                              m.kClassId, m.kMethodId);
  auto consumer =
      std::make_shared<ChannelConsumer>(c.link(), ch.id, ch.epoch, tag, m.no_ack, ch.credit);
  consumer->queue = q;
  ConsumeOptions o;
  o.tag = tag;
  o.no_ack = m.no_ack;
  o.exclusive = m.exclusive;
  o.prefetch = m.no_ack ? 0 : ch.prefetch_consumer;
  o.args = to_arg_table(m.arguments);
  ch.consumers[tag] = consumer;
  const Result cr = q->consume(consumer, std::move(o));
  if (!cr.ok()) {
    ch.consumers.erase(tag);
    return fail(c, ch, cr, m);
  }
  // consume-ok still precedes every delivery: those are posted to this loop.
  if (!m.nowait) {
    codec::BasicConsumeOk ok;
    ok.consumer_tag = tag;
    c.send_method(ch.id, ok);
  }
}

void handle(AmqpConnection& c, Channel& ch, const codec::BasicCancel& m) {
  auto it = ch.consumers.find(m.consumer_tag);
  if (it != ch.consumers.end()) {
    auto consumer = it->second;
    ch.consumers.erase(it);
    consumer->queue->cancel(consumer.get());
  }
  if (m.nowait) return;
  codec::BasicCancelOk ok;
  ok.consumer_tag = m.consumer_tag;
  c.send_method(ch.id, ok);
}

void consumers_settled(AmqpConnection&, Channel& ch) {
  if (ch.prefetch_channel == 0) return;
  for (auto& [tag, consumer] : ch.consumers) consumer->queue->dispatch();
}

void channel_closed(AmqpConnection&, Channel& ch) {
  auto consumers = std::move(ch.consumers);
  ch.consumers.clear();
  for (auto& [tag, consumer] : consumers) consumer->queue->cancel(consumer.get());
  // Unacked deliveries go back to their queues, redelivered.
  std::map<Queue*, std::pair<QueuePtr, std::vector<uint64_t>>> by_queue;
  for (auto& [tag, u] : ch.unacked) {
    auto& slot = by_queue[u.queue.get()];
    slot.first = u.queue;
    slot.second.push_back(u.entry);
  }
  ch.credit->in_flight.fetch_sub(static_cast<uint32_t>(ch.unacked.size()));
  ch.unacked.clear();
  for (auto& [raw, entry] : by_queue) entry.first->reject(entry.second, true);
  ch.tx_publishes.clear();
  ch.tx_acks.clear();
}

void connection_drained(AmqpConnection& c) {
  c.for_each_channel([](Channel& ch) {
    for (auto& [tag, consumer] : ch.consumers) consumer->queue->dispatch();
  });
}

void connection_closed(AmqpConnection& c) {
  if (Broker* b = c.server().broker()) b->connection_closed(c.id());
}

}  // namespace handlers
}  // namespace unimq::amqp
