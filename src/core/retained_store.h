// Retained messages: one per topic name, looked up by filter when a subscription is made.
// Shared by all shards behind a mutex: it is touched only by retained publishes and by
// subscribes, never by the plain publish path.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "core/message.h"

namespace unimq::core {

class RetainedStore {
 public:
  RetainedStore();
  ~RetainedStore();
  // Stores msg as the retained message of msg->topic; an empty payload deletes it.
  void put(MessagePtr msg);
  // Every non-expired retained message whose topic matches filter ('$' rule applies).
  void match(std::string_view filter, std::vector<MessagePtr>& out) const;
  size_t size() const;
  std::vector<MessagePtr> all() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unimq::core
