// An exchange and its bindings, with the routing index of its type (direct: hash by key,
// fanout: list, topic: TopicTrie, headers: x-match tables). Not thread-safe by itself: the
// owning VirtualHost guards it with its topology lock (shared for routing, exclusive for
// changes).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/amqp/broker/field_table.h"
#include "protocol/amqp/broker/message.h"
#include "protocol/amqp/broker/topic_trie.h"

namespace unimq::amqp {

class Queue;
class Exchange;
using QueuePtr = std::shared_ptr<Queue>;
using ExchangePtr = std::shared_ptr<Exchange>;

enum class ExchangeType : uint8_t { Direct, Fanout, Topic, Headers };
std::optional<ExchangeType> parse_exchange_type(std::string_view s);
const char* exchange_type_name(ExchangeType t);

// A binding from this exchange to a queue or (exchange-to-exchange) another exchange.
struct Binding {
  std::string key;
  ArgTable args;
  QueuePtr queue;  // exactly one of queue / exchange is set
  ExchangePtr exchange;

  const std::string& destination_name() const;
  bool same(const Binding& o) const;  // same destination, key and args
};

class Exchange {
 public:
  Exchange(std::string name, ExchangeType type, bool durable, bool auto_delete, bool internal,
           ArgTable args);

  const std::string& name() const { return name_; }
  ExchangeType type() const { return type_; }
  bool durable() const { return durable_; }
  bool auto_delete() const { return auto_delete_; }
  bool internal() const { return internal_; }
  const ArgTable& args() const { return args_; }
  // The "alternate-exchange" argument: where messages this exchange cannot route go.
  const std::optional<std::string>& alternate_exchange() const { return alternate_; }

  // False if an identical binding exists already (binding is idempotent).
  bool add_binding(Binding b);
  // False if there was no such binding.
  bool remove_binding(const Binding& b);
  // Removes every binding to this queue / exchange; returns how many.
  size_t remove_bindings_to(const Queue* q, const Exchange* e);
  bool has_bindings() const { return live_ > 0; }
  // Every live binding (for listing, persistence, if-unused checks).
  std::vector<const Binding*> bindings() const;

  // Appends the destinations this message goes to (may contain duplicates).
  void route(const Message& m, std::vector<const Binding*>& out) const;
  // Routing by key alone, for callers without a Message (the bus bridge check).
  bool routes_key(std::string_view routing_key) const;

 private:
  bool headers_match(const Binding& b, const ArgTable& headers) const;

  std::string name_;
  ExchangeType type_;
  bool durable_, auto_delete_, internal_;
  ArgTable args_;
  std::optional<std::string> alternate_;
  // Binding slots; a removed binding leaves an empty slot (reused) so trie values stay valid.
  std::vector<std::optional<Binding>> slots_;
  std::vector<uint32_t> free_slots_;
  size_t live_ = 0;
  std::unordered_map<std::string, std::vector<uint32_t>> by_key_;  // direct
  TopicTrie trie_;                                                 // topic
};

}  // namespace unimq::amqp
