#include "protocol/kafka/producer_ids.h"

#include <spdlog/spdlog.h>

#include <limits>

namespace unimq::kafka {

namespace {
constexpr const char* kNextKey = "meta/producer/next_id";
constexpr const char* kTxnPrefix = "meta/producer/txn/";
}  // namespace

std::optional<int64_t> ProducerIds::next_id_locked() {
  if (!loaded_) {
    if (auto v = kv_.get(kNextKey)) next_ = reserved_until_ = std::stoll(*v);
    loaded_ = true;
  }
  if (next_ >= reserved_until_) {
    const int64_t until = next_ + kBlock;
    if (!kv_.put(kNextKey, std::to_string(until), /*sync=*/true).ok()) return std::nullopt;
    reserved_until_ = until;
  }
  return next_++;
}

std::optional<ProducerIds::Ident> ProducerIds::init(
    const std::optional<std::string>& transactional_id) {
  std::lock_guard lk(mu_);
  if (!transactional_id || transactional_id->empty()) {
    auto id = next_id_locked();
    if (!id) return std::nullopt;
    return Ident{*id, 0};
  }
  const std::string key = kTxnPrefix + *transactional_id;
  Ident ident;
  if (auto v = kv_.get(key)) {
    const auto colon = v->find(':');
    if (colon != std::string::npos) {
      ident.id = std::stoll(v->substr(0, colon));
      ident.epoch = int16_t(std::stoi(v->substr(colon + 1)));
    }
  }
  if (ident.id < 0 || ident.epoch >= std::numeric_limits<int16_t>::max() - 1) {
    auto id = next_id_locked();
    if (!id) return std::nullopt;
    ident = {*id, 0};
  } else {
    ++ident.epoch;
  }
  if (!kv_.put(key, std::to_string(ident.id) + ":" + std::to_string(ident.epoch), true).ok())
    return std::nullopt;
  return ident;
}

}  // namespace unimq::kafka
