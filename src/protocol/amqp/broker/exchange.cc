#include "protocol/amqp/broker/exchange.h"

#include <algorithm>

#include "protocol/amqp/broker/queue.h"

namespace unimq::amqp {

std::optional<ExchangeType> parse_exchange_type(std::string_view s) {
  if (s == "direct") return ExchangeType::Direct;
  if (s == "fanout") return ExchangeType::Fanout;
  if (s == "topic") return ExchangeType::Topic;
  if (s == "headers") return ExchangeType::Headers;
  return std::nullopt;
}

const char* exchange_type_name(ExchangeType t) {
  switch (t) {
    case ExchangeType::Direct:
      return "direct";
    case ExchangeType::Fanout:
      return "fanout";
    case ExchangeType::Topic:
      return "topic";
    case ExchangeType::Headers:
      return "headers";
  }
  return "direct";
}

const std::string& Binding::destination_name() const {
  return queue ? queue->name() : exchange->name();
}

bool Binding::same(const Binding& o) const {
  if (queue != o.queue || exchange != o.exchange || key != o.key) return false;
  if (args.size() != o.args.size()) return false;
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].first != o.args[i].first || !args[i].second.same_value(o.args[i].second))
      return false;
  return true;
}

Exchange::Exchange(std::string name, ExchangeType type, bool durable, bool auto_delete,
                   bool internal, ArgTable args)
    : name_(std::move(name)),
      type_(type),
      durable_(durable),
      auto_delete_(auto_delete),
      internal_(internal),
      args_(std::move(args)),
      alternate_(arg_string(args_, "alternate-exchange")) {}

bool Exchange::add_binding(Binding b) {
  for (const auto& s : slots_)
    if (s && s->same(b)) return false;
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  if (type_ == ExchangeType::Direct) by_key_[b.key].push_back(slot);
  if (type_ == ExchangeType::Topic) trie_.insert(b.key, slot);
  slots_[slot] = std::move(b);
  ++live_;
  return true;
}

namespace {

void erase_slot(std::unordered_map<std::string, std::vector<uint32_t>>& by_key,
                const std::string& key, uint32_t slot) {
  auto it = by_key.find(key);
  if (it == by_key.end()) return;
  auto& v = it->second;
  v.erase(std::remove(v.begin(), v.end(), slot), v.end());
  if (v.empty()) by_key.erase(it);
}

}  // namespace

bool Exchange::remove_binding(const Binding& b) {
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i] || !slots_[i]->same(b)) continue;
    if (type_ == ExchangeType::Direct) erase_slot(by_key_, slots_[i]->key, i);
    if (type_ == ExchangeType::Topic) trie_.erase(slots_[i]->key, i);
    slots_[i].reset();
    free_slots_.push_back(i);
    --live_;
    return true;
  }
  return false;
}

size_t Exchange::remove_bindings_to(const Queue* q, const Exchange* e) {
  size_t n = 0;
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i]) continue;
    if ((q && slots_[i]->queue.get() == q) || (e && slots_[i]->exchange.get() == e)) {
      if (type_ == ExchangeType::Direct) erase_slot(by_key_, slots_[i]->key, i);
      if (type_ == ExchangeType::Topic) trie_.erase(slots_[i]->key, i);
      slots_[i].reset();
      free_slots_.push_back(i);
      --live_;
      ++n;
    }
  }
  return n;
}

std::vector<const Binding*> Exchange::bindings() const {
  std::vector<const Binding*> out;
  for (const auto& s : slots_)
    if (s) out.push_back(&*s);
  return out;
}

bool Exchange::headers_match(const Binding& b, const ArgTable& headers) const {
  // x-match: all (default) / any; the "-with-x" variants also compare x- headers.
  std::string mode = arg_string(b.args, "x-match").value_or("all");
  const bool any = mode == "any" || mode == "any-with-x";
  const bool with_x = mode == "all-with-x" || mode == "any-with-x";
  bool matched_any = false;
  for (const auto& [k, v] : b.args) {
    // x-match itself is never a criterion; other x- keys only in the -with-x modes.
    if (k == "x-match" || (!with_x && k.rfind("x-", 0) == 0)) continue;
    const ArgValue* h = find_arg(headers, k);
    // A void binding value matches presence alone.
    const bool ok = h && (v.type == 'V' || v.same_value(*h));
    if (ok) matched_any = true;
    if (!ok && !any) return false;
    if (ok && any) return true;
  }
  return any ? matched_any : true;
}

void Exchange::route(const Message& m, std::vector<const Binding*>& out) const {
  switch (type_) {
    case ExchangeType::Direct: {
      auto it = by_key_.find(m.routing_key);
      if (it != by_key_.end())
        for (uint32_t s : it->second) out.push_back(&*slots_[s]);
      return;
    }
    case ExchangeType::Fanout:
      for (const auto& s : slots_)
        if (s) out.push_back(&*s);
      return;
    case ExchangeType::Topic: {
      thread_local std::vector<uint32_t> hits;
      hits.clear();
      trie_.match(m.routing_key, hits);
      std::sort(hits.begin(), hits.end());
      hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
      for (uint32_t s : hits) out.push_back(&*slots_[s]);
      return;
    }
    case ExchangeType::Headers: {
      if (live_ == 0) return;
      const ArgTable headers = m.headers();
      for (const auto& s : slots_)
        if (s && headers_match(*s, headers)) out.push_back(&*s);
      return;
    }
  }
}

bool Exchange::routes_key(std::string_view routing_key) const {
  switch (type_) {
    case ExchangeType::Direct:
      return by_key_.count(std::string(routing_key)) > 0;
    case ExchangeType::Fanout:
      return live_ > 0;
    case ExchangeType::Topic: {
      thread_local std::vector<uint32_t> hits;
      hits.clear();
      trie_.match(routing_key, hits);
      return !hits.empty();
    }
    case ExchangeType::Headers:
      return live_ > 0;
  }
  return false;
}

}  // namespace unimq::amqp
