// basic.publish routing and dead-lettering.
#include <algorithm>
#include <chrono>
#include <mutex>

#include "protocol/amqp/broker/queue_journal.h"
#include "protocol/amqp/broker/virtual_host.h"

namespace unimq::amqp {

void VirtualHost::route_locked(const ExchangePtr& x, const Message& m,
                               std::vector<Queue*>& out) const {
  // Exchange-to-exchange bindings are followed breadth-first, each exchange once.
  thread_local std::vector<const Binding*> hits;
  std::vector<const Exchange*> seen{x.get()};
  for (size_t i = 0; i < seen.size(); ++i) {
    hits.clear();
    seen[i]->route(m, hits);
    for (const Binding* b : hits) {
      if (b->queue) {
        out.push_back(b->queue.get());
      } else if (std::find(seen.begin(), seen.end(), b->exchange.get()) == seen.end()) {
        seen.push_back(b->exchange.get());
      }
    }
  }
}

PublishOutcome VirtualHost::publish(const std::string& exchange, const MessagePtr& m,
                                    std::function<void(bool ok)> on_stored) {
  PublishOutcome out;
  // Targets are held by shared_ptr so a concurrent queue.delete cannot free them under us.
  // The vector is recycled per thread (a dead-letter publish nests: take it, give it back).
  thread_local std::vector<QueuePtr> pool;
  std::vector<QueuePtr> targets;
  targets.swap(pool);
  targets.clear();
  bool observed = false;
  {
    std::shared_lock lk(mu_);
    if (exchange.empty()) {
      auto it = queues_.find(m->routing_key);
      if (it != queues_.end()) targets.push_back(it->second);
    } else {
      ExchangePtr x = find_exchange_locked(exchange);
      if (!x) {
        out.error = Result::Error(reply::kNotFound, "NOT_FOUND - no exchange '" + exchange +
                                                        "' in vhost '" + name_ + "'");
        targets.swap(pool);
        return out;
      }
      if (x->internal()) {
        out.error = Result::Error(reply::kAccessRefused,
                                  "ACCESS_REFUSED - cannot publish to internal exchange '" +
                                      exchange + "' in vhost '" + name_ + "'");
        targets.swap(pool);
        return out;
      }
      thread_local std::vector<Queue*> raw;
      raw.clear();
      route_locked(x, *m, raw);
      // Unroutable: follow alternate-exchange arguments (a few hops, cycles end there).
      for (int hop = 0; raw.empty() && x->alternate_exchange() && hop < 8; ++hop) {
        x = find_exchange_locked(*x->alternate_exchange());
        if (!x) break;
        route_locked(x, *m, raw);
      }
      std::sort(raw.begin(), raw.end());
      raw.erase(std::unique(raw.begin(), raw.end()), raw.end());
      for (Queue* q : raw) targets.push_back(q->shared_from_this());
      observed = observer_ && exchange == observed_exchange_;
    }
  }
  if (observed) observer_(m);

  StoreWait* wait = nullptr;
  if (m->persistent() && on_stored)
    for (const auto& q : targets)
      if (q->journal()) {
        wait = new StoreWait();
        wait->done = std::move(on_stored);
        break;
      }
  for (const auto& q : targets) {
    switch (q->enqueue(m, wait)) {
      case Queue::Enqueue::Ok:
        out.routed = true;
        break;
      case Queue::Enqueue::Rejected:  // routed (no basic.return) but refused: nack
        out.routed = true;
        out.rejected = true;
        break;
      case Queue::Enqueue::Deleted:
        break;
    }
  }
  if (wait) {
    out.store_pending = true;
    // A queue refused it (reject-publish): the confirm is a nack whatever was stored.
    if (out.rejected) wait->failed.store(true, std::memory_order_relaxed);
    wait->complete(true);  // the publisher's own count
  }
  targets.clear();
  targets.swap(pool);
  return out;
}

bool VirtualHost::routes(const std::string& exchange, const std::string& routing_key) const {
  std::shared_lock lk(mu_);
  ExchangePtr x = find_exchange_locked(exchange);
  return x && x->routes_key(routing_key);
}

namespace {

int64_t wall_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const ArgValue* table_field(const ArgValue& t, std::string_view k) {
  return t.type == 'F' ? find_arg(t.table, k) : nullptr;
}

bool field_is(const ArgValue& t, std::string_view k, std::string_view v) {
  const ArgValue* f = table_field(t, k);
  return f && f->is_string() && f->s == v;
}

}  // namespace

// Rebuilds the message with the x-death header RabbitMQ adds: one entry per (queue, reason),
// most recent first, with count, reason, queue, time, exchange and routing-keys; the
// per-message expiration moves to original-expiration. Returns null on a dead-letter cycle.
static MessagePtr dead_lettered(const Message& m, const std::string& queue, DeathReason reason,
                                const std::string& dlx, const std::optional<std::string>& dlrk) {
  BasicProperties p;
  decode_properties(m.properties, p);
  ArgTable headers = p.headers.value_or(ArgTable{});
  const char* why = death_reason_name(reason);
  std::vector<ArgValue> deaths;
  if (const ArgValue* xd = find_arg(headers, "x-death"); xd && xd->type == 'A') deaths = xd->array;
  auto it = std::find_if(deaths.begin(), deaths.end(), [&](const ArgValue& d) {
    return field_is(d, "queue", queue) && field_is(d, "reason", why);
  });
  // A message that already died here for a reason other than a client's reject is cycling
  // (e.g. TTL -> DLX -> same queue) with no consumer in the loop: drop it, as RabbitMQ does.
  if (it != deaths.end() && reason != DeathReason::Rejected) return nullptr;
  ArgValue entry;
  if (it != deaths.end()) {
    entry = std::move(*it);
    deaths.erase(it);
    int64_t count = 1;
    if (const ArgValue* c = table_field(entry, "count"); c && c->is_integer()) count = c->i + 1;
    set_arg(entry.table, "count", ArgValue::integer(count));
    set_arg(entry.table, "time", ArgValue::timestamp(wall_seconds()));
  } else {
    ArgTable t;
    t.emplace_back("count", ArgValue::integer(1));
    t.emplace_back("reason", ArgValue::str(why));
    t.emplace_back("queue", ArgValue::str(queue));
    t.emplace_back("time", ArgValue::timestamp(wall_seconds()));
    t.emplace_back("exchange", ArgValue::str(m.exchange));
    t.emplace_back("routing-keys", ArgValue::of_array({ArgValue::str(m.routing_key)}));
    if (p.expiration) t.emplace_back("original-expiration", ArgValue::str(*p.expiration));
    entry = ArgValue::of_table(std::move(t));
  }
  deaths.insert(deaths.begin(), std::move(entry));
  set_arg(headers, "x-death", ArgValue::of_array(std::move(deaths)));
  if (!find_arg(headers, "x-first-death-reason")) {
    set_arg(headers, "x-first-death-reason", ArgValue::str(why));
    set_arg(headers, "x-first-death-queue", ArgValue::str(queue));
    set_arg(headers, "x-first-death-exchange", ArgValue::str(m.exchange));
  }
  set_arg(headers, "x-last-death-reason", ArgValue::str(why));
  set_arg(headers, "x-last-death-queue", ArgValue::str(queue));
  set_arg(headers, "x-last-death-exchange", ArgValue::str(m.exchange));
  p.headers = std::move(headers);
  p.expiration.reset();
  return make_message(dlx, dlrk.value_or(m.routing_key), p, m.body);
}

void VirtualHost::dead_letter(Queue& q, std::vector<DeadLetter>& letters) {
  const QueueSettings& s = q.spec().settings;
  if (!s.dead_letter_exchange) return;
  for (const DeadLetter& d : letters) {
    MessagePtr m = dead_lettered(*d.message, q.name(), d.reason, *s.dead_letter_exchange,
                                 s.dead_letter_routing_key);
    if (m) publish(*s.dead_letter_exchange, m);  // a missing DLX drops the message silently
  }
}

}  // namespace unimq::amqp
