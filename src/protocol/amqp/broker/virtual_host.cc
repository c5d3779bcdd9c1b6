#include "protocol/amqp/broker/virtual_host.h"

#include <algorithm>
#include <mutex>
#include <random>

#include "protocol/amqp/broker/queue_journal.h"

namespace unimq::amqp {
namespace {

const char* yes_no(bool b) { return b ? "true" : "false"; }

bool reserved(const std::string& name) { return name.rfind("amq.", 0) == 0; }

Result inequivalent(const char* what, const std::string& arg, const std::string& name,
                    const std::string& vhost, const std::string& received,
                    const std::string& current) {
  return Result::Error(reply::kPreconditionFailed,
                       "PRECONDITION_FAILED - inequivalent arg '" + arg + "' for " + what + " '" +
                           name + "' in vhost '" + vhost + "': received '" + received +
                           "' but current is '" + current + "'");
}

bool same_args(const ArgTable& a, const ArgTable& b, std::string& differing) {
  auto check = [&](const ArgTable& x, const ArgTable& y) {
    for (const auto& [k, v] : x) {
      const ArgValue* o = find_arg(y, k);
      if (!o || !o->same_value(v)) {
        differing = k;
        return false;
      }
    }
    return true;
  };
  return check(a, b) && check(b, a);
}

}  // namespace

VirtualHost::VirtualHost(std::string name, storage::StorageEngine* engine, storage::KvStore* kv)
    : name_(std::move(name)), engine_(engine), kv_(kv) {
  auto add = [&](const char* n, ExchangeType t) {
    exchanges_[n] = std::make_shared<Exchange>(n, t, true, false, false, ArgTable{});
  };
  add("amq.direct", ExchangeType::Direct);
  add("amq.fanout", ExchangeType::Fanout);
  add("amq.topic", ExchangeType::Topic);
  add("amq.headers", ExchangeType::Headers);
  add("amq.match", ExchangeType::Headers);
}

VirtualHost::~VirtualHost() = default;

ExchangePtr VirtualHost::find_exchange_locked(const std::string& name) const {
  auto it = exchanges_.find(name);
  return it == exchanges_.end() ? nullptr : it->second;
}

Result VirtualHost::exchange_declare(const ExchangeDeclare& d) {
  if (d.name.empty())
    return Result::Error(reply::kAccessRefused,
                         "ACCESS_REFUSED - operation not permitted on the default exchange");
  std::unique_lock lk(mu_);
  ExchangePtr x = find_exchange_locked(d.name);
  if (d.passive) {
    if (!x)
      return Result::Error(reply::kNotFound,
                           "NOT_FOUND - no exchange '" + d.name + "' in vhost '" + name_ + "'");
    return Result::Ok();
  }
  // As RabbitMQ: an existing amq.* exchange may be redeclared with the same properties.
  if (!x && reserved(d.name))
    return Result::Error(reply::kAccessRefused, "ACCESS_REFUSED - exchange name '" + d.name +
                                                    "' contains reserved prefix 'amq.*'");
  std::optional<ExchangeType> type = parse_exchange_type(d.type);
  if (!type)
    return Result::Error(reply::kCommandInvalid,
                         "COMMAND_INVALID - unknown exchange type '" + d.type + "'");
  if (x) {
    const char* w = "exchange";
    if (x->type() != *type)
      return inequivalent(w, "type", d.name, name_, d.type, exchange_type_name(x->type()));
    if (x->durable() != d.durable)
      return inequivalent(w, "durable", d.name, name_, yes_no(d.durable), yes_no(x->durable()));
    if (x->auto_delete() != d.auto_delete)
      return inequivalent(w, "auto_delete", d.name, name_, yes_no(d.auto_delete),
                          yes_no(x->auto_delete()));
    if (x->internal() != d.internal)
      return inequivalent(w, "internal", d.name, name_, yes_no(d.internal), yes_no(x->internal()));
    return Result::Ok();
  }
  x = std::make_shared<Exchange>(d.name, *type, d.durable, d.auto_delete, d.internal, d.args);
  exchanges_[d.name] = x;
  persist_exchange(*x, false);
  return Result::Ok();
}

Result VirtualHost::exchange_delete(const std::string& name, bool if_unused) {
  if (name.empty())
    return Result::Error(reply::kAccessRefused,
                         "ACCESS_REFUSED - operation not permitted on the default exchange");
  if (reserved(name))
    return Result::Error(reply::kAccessRefused, "ACCESS_REFUSED - exchange name '" + name +
                                                    "' contains reserved prefix 'amq.*'");
  std::unique_lock lk(mu_);
  ExchangePtr x = find_exchange_locked(name);
  if (!x) return Result::Ok();  // deleting a missing exchange succeeds, as in RabbitMQ 3.x
  if (if_unused && x->has_bindings())
    return Result::Error(reply::kPreconditionFailed, "PRECONDITION_FAILED - exchange '" + name +
                                                         "' in vhost '" + name_ + "' in use");
  for (const Binding* b : x->bindings()) persist_binding(*x, *b, true);
  for (auto& [n, other] : exchanges_) {
    if (other == x) continue;
    for (const Binding* b : other->bindings())
      if (b->exchange == x) persist_binding(*other, *b, true);
    other->remove_bindings_to(nullptr, x.get());
  }
  exchanges_.erase(name);
  persist_exchange(*x, true);
  return Result::Ok();
}

Result VirtualHost::exchange_bind(const std::string& destination, const std::string& source,
                                  const std::string& routing_key, const ArgTable& args) {
  if (destination.empty() || source.empty())
    return Result::Error(reply::kAccessRefused,
                         "ACCESS_REFUSED - operation not permitted on the default exchange");
  std::unique_lock lk(mu_);
  ExchangePtr src = find_exchange_locked(source), dst = find_exchange_locked(destination);
  if (!src || !dst)
    return Result::Error(
        reply::kNotFound,
        "NOT_FOUND - no exchange '" + (src ? destination : source) + "' in vhost '" + name_ + "'");
  Binding b{routing_key, args, nullptr, dst};
  if (src->add_binding(b)) persist_binding(*src, b, false);
  return Result::Ok();
}

Result VirtualHost::exchange_unbind(const std::string& destination, const std::string& source,
                                    const std::string& routing_key, const ArgTable& args) {
  if (destination.empty() || source.empty())
    return Result::Error(reply::kAccessRefused,
                         "ACCESS_REFUSED - operation not permitted on the default exchange");
  std::unique_lock lk(mu_);
  ExchangePtr src = find_exchange_locked(source), dst = find_exchange_locked(destination);
  if (!src || !dst)
    return Result::Error(
        reply::kNotFound,
        "NOT_FOUND - no exchange '" + (src ? destination : source) + "' in vhost '" + name_ + "'");
  Binding b{routing_key, args, nullptr, dst};
  if (src->remove_binding(b)) {
    persist_binding(*src, b, true);
    maybe_auto_delete_locked(src);
  }
  return Result::Ok();
}

void VirtualHost::maybe_auto_delete_locked(const ExchangePtr& x) {
  if (!x->auto_delete() || x->has_bindings()) return;
  for (auto& [n, other] : exchanges_)
    if (other != x) other->remove_bindings_to(nullptr, x.get());
  exchanges_.erase(x->name());
  persist_exchange(*x, true);
}

std::string VirtualHost::unique_queue_name() const {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string n = "amq.gen-";
  for (int i = 0; i < 22; ++i) n.push_back(kAlphabet[rng() % 64]);
  return n;
}

Result VirtualHost::check_access(const Queue& q, uint64_t connection_id) const {
  if (q.exclusive() && q.owner_connection() != connection_id)
    return Result::Error(reply::kResourceLocked,
                         "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '" +
                             q.name() + "' in vhost '" + name_ +
                             "'. It could be originally declared on another connection or the "
                             "exclusive property value does not match that of the original "
                             "declaration.");
  return Result::Ok();
}

Result VirtualHost::queue_declare(const QueueDeclare& d, QueueDeclareOk& ok) {
  if (!d.name.empty() && !d.passive && reserved(d.name))
    return Result::Error(reply::kAccessRefused, "ACCESS_REFUSED - queue name '" + d.name +
                                                    "' contains reserved prefix 'amq.*'");
  std::unique_lock lk(mu_);
  std::string name = d.name.empty() ? unique_queue_name() : d.name;
  auto it = queues_.find(name);
  if (it != queues_.end()) {
    const QueuePtr& q = it->second;
    if (Result r = check_access(*q, d.connection_id); !r.ok()) return r;
    if (!d.passive) {
      const char* w = "queue";
      if (q->durable() != d.durable)
        return inequivalent(w, "durable", name, name_, yes_no(d.durable), yes_no(q->durable()));
      if (q->spec().auto_delete != d.auto_delete)
        return inequivalent(w, "auto_delete", name, name_, yes_no(d.auto_delete),
                            yes_no(q->spec().auto_delete));
      if (q->exclusive() != d.exclusive)
        return Result::Error(reply::kResourceLocked,
                             "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '" +
                                 name + "' in vhost '" + name_ + "'");
      std::string arg;
      if (!same_args(d.args, q->spec().args, arg))
        return Result::Error(reply::kPreconditionFailed,
                             "PRECONDITION_FAILED - inequivalent arg '" + arg + "' for queue '" +
                                 name + "' in vhost '" + name_ + "'");
    }
    q->touch();
    ok = {name, q->message_count(), q->consumer_count()};
    return Result::Ok();
  }
  if (d.passive)
    return Result::Error(reply::kNotFound,
                         "NOT_FOUND - no queue '" + name + "' in vhost '" + name_ + "'");
  QueueSpec spec{name_, name, d.durable, d.exclusive, d.connection_id, d.auto_delete, d.args, {}};
  if (Result r = parse_queue_settings(d.args, spec.settings); !r.ok()) return r;
  QueuePtr q = make_queue(std::move(spec));
  if (!q)  // as RabbitMQ answers when a vhost's queue limit is reached
    return Result::Error(reply::kPreconditionFailed,
                         "PRECONDITION_FAILED - cannot declare queue '" + name + "' in vhost '" +
                             name_ +
                             "': the broker cannot open more durable queues "
                             "(storage.max_streams, from the open-file limit)");
  queues_[name] = q;
  persist_queue(*q, false);
  ok = {name, 0, 0};
  return Result::Ok();
}

// The checks queue.bind and queue.unbind share, in RabbitMQ's order: the default exchange
// cannot be bound, then the queue (and its owner), then the exchange must exist.
Result VirtualHost::binding_ends_locked(const std::string& queue, const std::string& exchange,
                                        uint64_t connection_id, QueuePtr& q, ExchangePtr& x) const {
  if (exchange.empty())
    return Result::Error(reply::kAccessRefused,
                         "ACCESS_REFUSED - operation not permitted on the default exchange");
  auto it = queues_.find(queue);
  if (it == queues_.end())
    return Result::Error(reply::kNotFound,
                         "NOT_FOUND - no queue '" + queue + "' in vhost '" + name_ + "'");
  if (Result r = check_access(*it->second, connection_id); !r.ok()) return r;
  x = find_exchange_locked(exchange);
  if (!x)
    return Result::Error(reply::kNotFound,
                         "NOT_FOUND - no exchange '" + exchange + "' in vhost '" + name_ + "'");
  q = it->second;
  return Result::Ok();
}

Result VirtualHost::queue_bind(const std::string& queue, const std::string& exchange,
                               const std::string& routing_key, const ArgTable& args,
                               uint64_t connection_id) {
  std::unique_lock lk(mu_);
  ExchangePtr x;
  QueuePtr q;
  if (Result r = binding_ends_locked(queue, exchange, connection_id, q, x); !r.ok()) return r;
  Binding b{routing_key, args, q, nullptr};
  if (x->add_binding(b)) persist_binding(*x, b, false);
  return Result::Ok();
}

Result VirtualHost::queue_unbind(const std::string& queue, const std::string& exchange,
                                 const std::string& routing_key, const ArgTable& args,
                                 uint64_t connection_id) {
  std::unique_lock lk(mu_);
  ExchangePtr x;
  QueuePtr q;
  if (Result r = binding_ends_locked(queue, exchange, connection_id, q, x); !r.ok()) return r;
  Binding b{routing_key, args, q, nullptr};
  if (x->remove_binding(b)) {
    persist_binding(*x, b, true);
    maybe_auto_delete_locked(x);
  }
  return Result::Ok();
}

Result VirtualHost::queue_purge(const std::string& queue, uint64_t connection_id, uint32_t& count) {
  QueuePtr q;
  if (Result r = find_queue(queue, connection_id, q); !r.ok()) return r;
  count = q->purge();
  return Result::Ok();
}

void VirtualHost::delete_queue_locked(const QueuePtr& q) {
  for (auto& [n, x] : exchanges_) {
    for (const Binding* b : x->bindings())
      if (b->queue == q) persist_binding(*x, *b, true);
    x->remove_bindings_to(q.get(), nullptr);
  }
  // Auto-delete exchanges left without bindings go too (collected first: erasing while
  // iterating the map is not allowed).
  std::vector<ExchangePtr> emptied;
  for (auto& [n, x] : exchanges_)
    if (x->auto_delete() && !x->has_bindings()) emptied.push_back(x);
  for (auto& x : emptied) maybe_auto_delete_locked(x);
  queues_.erase(q->name());
  persist_queue(*q, true);
}

Result VirtualHost::queue_delete(const std::string& queue, bool if_unused, bool if_empty,
                                 uint64_t connection_id, uint32_t& count) {
  QueuePtr q;
  {
    std::unique_lock lk(mu_);
    auto it = queues_.find(queue);
    if (it == queues_.end()) {
      count = 0;
      return Result::Ok();  // RabbitMQ 3.x: deleting a missing queue succeeds
    }
    q = it->second;
    if (Result r = check_access(*q, connection_id); !r.ok()) return r;
    if (if_unused && q->consumer_count() > 0)
      return Result::Error(reply::kPreconditionFailed, "PRECONDITION_FAILED - queue '" + queue +
                                                           "' in vhost '" + name_ + "' in use");
    if (if_empty && q->message_count() > 0)
      return Result::Error(
          reply::kPreconditionFailed,
          "PRECONDITION_FAILED - queue '" + queue + "' in vhost '" + name_ + "' is not empty");
    delete_queue_locked(q);
  }
  count = q->mark_deleted();  // cancels consumers outside the topology lock
  return Result::Ok();
}

Result VirtualHost::find_queue(const std::string& queue, uint64_t connection_id, QueuePtr& out) {
  std::shared_lock lk(mu_);
  auto it = queues_.find(queue);
  if (it == queues_.end())
    return Result::Error(reply::kNotFound,
                         "NOT_FOUND - no queue '" + queue + "' in vhost '" + name_ + "'");
  if (Result r = check_access(*it->second, connection_id); !r.ok()) return r;
  out = it->second;
  return Result::Ok();
}

void VirtualHost::queue_unused(Queue& q) {
  QueuePtr victim;
  {
    std::unique_lock lk(mu_);
    auto it = queues_.find(q.name());
    if (it == queues_.end() || it->second.get() != &q || q.consumer_count() > 0) return;
    victim = it->second;
    delete_queue_locked(victim);
  }
  victim->mark_deleted();
}

void VirtualHost::connection_closed(uint64_t connection_id) {
  std::vector<QueuePtr> victims;
  {
    std::unique_lock lk(mu_);
    for (auto& [n, q] : queues_)
      if (q->exclusive() && q->owner_connection() == connection_id) victims.push_back(q);
    for (auto& q : victims) delete_queue_locked(q);
  }
  for (auto& q : victims) q->mark_deleted();
}

void VirtualHost::tick(int64_t now_ms) {
  std::vector<QueuePtr> all;
  {
    std::shared_lock lk(mu_);
    all.reserve(queues_.size());
    for (auto& [n, q] : queues_) all.push_back(q);
  }
  for (auto& q : all) {
    if (!q->tick(now_ms)) continue;
    {
      std::unique_lock lk(mu_);
      auto it = queues_.find(q->name());
      if (it == queues_.end() || it->second != q || q->consumer_count() > 0) continue;
      delete_queue_locked(q);
    }
    q->mark_deleted();
  }
}

void VirtualHost::observe_exchange(std::string exchange, PublishObserver fn) {
  std::unique_lock lk(mu_);
  observed_exchange_ = std::move(exchange);
  observer_ = std::move(fn);
}

}  // namespace unimq::amqp
