// Durable topology in the KV store and recovery at start-up. Keys (vhost and names separated
// by '\0'): amqp/x/<vhost>/<exchange>, amqp/q/<vhost>/<queue>,
// amqp/b/<vhost>/<source>/<q|e><destination>/<key>/<encoded args>; values are field tables.
// A queue's message cursor is amqp/c/<vhost>/<queue> (see QueueJournal).
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>

#include "protocol/amqp/broker/queue_journal.h"
#include "protocol/amqp/broker/virtual_host.h"
#include "storage/kv_store.h"
#include "storage/storage_engine.h"

namespace unimq::amqp {
namespace {

const char kSep = '\0';

std::string key_of(const char* kind, const std::string& vhost, const std::string& name) {
  std::string k = "amqp/";
  k += kind;
  k += '/';
  k += vhost;
  k += kSep;
  k += name;
  return k;
}

storage::StreamId stream_of(const std::string& vhost, const std::string& queue) {
  return storage::StreamId{"amqp", vhost + "/" + queue, 0};
}

std::string encode(const ArgTable& t) {
  std::string s;
  encode_table(t, s);
  return s;
}

bool decode(std::string_view s, ArgTable& t) { return decode_table(s, t); }

bool flag(const ArgTable& t, const char* k) {
  const ArgValue* v = find_arg(t, k);
  return v && v->i != 0;
}

ArgValue boolean(bool b) {
  ArgValue v;
  v.type = 't';
  v.i = b;
  return v;
}

// Splits "a\0b\0c" after the prefix.
std::vector<std::string_view> fields(std::string_view key, size_t prefix) {
  std::vector<std::string_view> out;
  key.remove_prefix(prefix);
  while (true) {
    size_t p = key.find(kSep);
    if (p == std::string_view::npos || out.size() == 3) {
      out.push_back(key);
      return out;
    }
    out.push_back(key.substr(0, p));
    key.remove_prefix(p + 1);
  }
}

}  // namespace

QueuePtr VirtualHost::make_queue(QueueSpec spec) {
  const bool persist = spec.durable && !spec.exclusive && engine_ && kv_;
  const std::string qname = spec.name;
  auto q = std::make_shared<Queue>(this, std::move(spec));
  if (persist) {
    auto stream = engine_->get_or_create(stream_of(name_, qname));
    if (!stream) {
      // A durable queue that could not keep its messages would lose them on restart.
      spdlog::error("amqp: cannot open the journal of queue '{}' in vhost '{}'", qname, name_);
      return nullptr;
    }
    q->attach_journal(
        std::make_unique<QueueJournal>(std::move(stream), *kv_, key_of("c", name_, qname)));
  }
  return q;
}

void VirtualHost::persist_exchange(const Exchange& x, bool remove) {
  if (!kv_ || !x.durable()) return;
  const std::string key = key_of("x", name_, x.name());
  if (remove) {
    (void)kv_->del(key, true);
    return;
  }
  ArgTable t;
  t.emplace_back("type", ArgValue::str(exchange_type_name(x.type())));
  t.emplace_back("auto_delete", boolean(x.auto_delete()));
  t.emplace_back("internal", boolean(x.internal()));
  t.emplace_back("args", ArgValue::of_table(x.args()));
  (void)kv_->put(key, encode(t), true);
}

void VirtualHost::persist_queue(const Queue& q, bool remove) {
  if (!kv_ || !q.durable() || q.exclusive()) return;
  const std::string key = key_of("q", name_, q.name());
  if (remove) {
    std::vector<storage::KvWrite> w;
    w.push_back({storage::KvWrite::Op::Delete, key, {}});
    w.push_back({storage::KvWrite::Op::Delete, key_of("c", name_, q.name()), {}});
    (void)kv_->write(w, true);
    if (engine_) (void)engine_->remove(stream_of(name_, q.name()));
    return;
  }
  ArgTable t;
  t.emplace_back("auto_delete", boolean(q.spec().auto_delete));
  t.emplace_back("args", ArgValue::of_table(q.spec().args));
  (void)kv_->put(key, encode(t), true);
}

void VirtualHost::persist_binding(const Exchange& source, const Binding& b, bool remove) {
  if (!kv_ || !source.durable()) return;
  if (b.queue ? (!b.queue->durable() || b.queue->exclusive()) : !b.exchange->durable()) return;
  std::string key = key_of("b", name_, source.name());
  key += kSep;
  key += b.queue ? 'q' : 'e';
  key += b.destination_name();
  key += kSep;
  key += b.key;
  key += kSep;
  key += encode(b.args);
  if (remove)
    (void)kv_->del(key, true);
  else
    (void)kv_->put(key, "", true);
}

void VirtualHost::recover() {
  if (!kv_) return;
  std::unique_lock lk(mu_);
  const std::string vh = name_ + kSep;
  size_t n_x = 0, n_q = 0, n_b = 0, n_m = 0;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  (void)kv_->scan("amqp/x/" + vh, [&](std::string_view k, std::string_view v) {
    ArgTable t;
    if (!decode(v, t)) return true;
    std::string name(k.substr(7 + vh.size()));
    auto type = parse_exchange_type(arg_string(t, "type").value_or("direct"));
    const ArgValue* args = find_arg(t, "args");
    exchanges_[name] = std::make_shared<Exchange>(name, type.value_or(ExchangeType::Direct), true,
                                                  flag(t, "auto_delete"), flag(t, "internal"),
                                                  args ? args->table : ArgTable{});
    ++n_x;
    return true;
  });
  (void)kv_->scan("amqp/q/" + vh, [&](std::string_view k, std::string_view v) {
    ArgTable t;
    if (!decode(v, t)) return true;
    QueueSpec spec;
    spec.vhost = name_;
    spec.name = std::string(k.substr(7 + vh.size()));
    spec.durable = true;
    spec.auto_delete = flag(t, "auto_delete");
    if (const ArgValue* a = find_arg(t, "args")) spec.args = a->table;
    (void)parse_queue_settings(spec.args, spec.settings);
    QueuePtr q = make_queue(std::move(spec));
    if (!q) return true;  // logged; its messages stay on disk for a start with more files
    if (QueueJournal* j = q->journal())
      j->recover([&](MessagePtr m, int64_t offset, int64_t ts_ms) {
        q->restore(m, offset, now_ms - ts_ms);
        ++n_m;
      });
    queues_[q->name()] = q;
    ++n_q;
    return true;
  });
  (void)kv_->scan("amqp/b/" + vh, [&](std::string_view k, std::string_view) {
    auto f = fields(k, 7 + vh.size());
    if (f.size() < 4 || f[1].empty()) return true;
    ExchangePtr src = find_exchange_locked(std::string(f[0]));
    if (!src) return true;
    Binding b;
    b.key = std::string(f[2]);
    std::string_view args = f[3];
    if (!decode(args, b.args)) return true;
    const std::string dest(f[1].substr(1));
    if (f[1][0] == 'q') {
      auto it = queues_.find(dest);
      if (it == queues_.end()) return true;
      b.queue = it->second;
    } else {
      b.exchange = find_exchange_locked(dest);
      if (!b.exchange) return true;
    }
    src->add_binding(std::move(b));
    ++n_b;
    return true;
  });
  if (n_x + n_q + n_b > 0)
    spdlog::info("amqp: vhost '{}' recovered {} exchanges, {} queues, {} bindings, {} messages",
                 name_, n_x, n_q, n_b, n_m);
  // Length limits last: what they drop is dead-lettered through the recovered topology, and
  // dead-lettering publishes, which takes the topology lock.
  std::vector<QueuePtr> all;
  all.reserve(queues_.size());
  for (auto& [n, q] : queues_) all.push_back(q);
  lk.unlock();
  for (auto& q : all) q->recovered();
}

void VirtualHost::shutdown() {
  std::vector<QueuePtr> all;
  {
    std::shared_lock lk(mu_);
    for (auto& [n, q] : queues_) all.push_back(q);
  }
  for (auto& q : all) q->checkpoint();
}

}  // namespace unimq::amqp
