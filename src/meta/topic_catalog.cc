#include "meta/topic_catalog.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <random>

namespace unimq::meta {

using storage::Errc;
using storage::Status;

namespace {

std::string to_json(const TopicInfo& t) {
  nlohmann::json j;
  j["partitions"] = t.partitions;
  j["id"] = std::vector<uint8_t>(t.id.begin(), t.id.end());
  j["configs"] = t.configs;
  return j.dump();
}

bool from_json(std::string_view name, std::string_view text, TopicInfo& t) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  try {
    t.name = std::string(name);
    t.partitions = j.at("partitions").get<uint32_t>();
    auto id = j.at("id").get<std::vector<uint8_t>>();
    if (id.size() != 16) return false;
    std::copy(id.begin(), id.end(), t.id.begin());
    t.configs = j.value("configs", std::map<std::string, std::string>{});
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return t.partitions > 0;
}

std::array<uint8_t, 16> random_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::array<uint8_t, 16> id{};
  for (size_t i = 0; i < 16; i += 8) {
    const uint64_t r = rng();
    for (size_t k = 0; k < 8; ++k) id[i + k] = uint8_t(r >> (8 * k));
  }
  id[6] = uint8_t((id[6] & 0x0f) | 0x40);  // version 4
  id[8] = uint8_t((id[8] & 0x3f) | 0x80);  // variant
  return id;
}

}  // namespace

bool TopicCatalog::valid_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status TopicCatalog::load() {
  std::lock_guard lk(mu_);
  topics_.clear();
  return kv_.scan(kPrefix, [this](std::string_view key, std::string_view value) {
    const std::string_view name = key.substr(kPrefix.size());
    TopicInfo t;
    if (!from_json(name, value, t)) {
      spdlog::warn("kafka meta: ignoring unreadable topic record {}", key);
      return true;
    }
    topics_.emplace(t.name, std::move(t));
    return true;
  });
}

std::optional<TopicInfo> TopicCatalog::find(std::string_view name) const {
  std::lock_guard lk(mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return std::nullopt;
  return it->second;
}

std::optional<TopicInfo> TopicCatalog::find_by_id(const std::array<uint8_t, 16>& id) const {
  std::lock_guard lk(mu_);
  for (const auto& [_, t] : topics_)
    if (t.id == id) return t;
  return std::nullopt;
}

std::vector<TopicInfo> TopicCatalog::list() const {
  std::lock_guard lk(mu_);
  std::vector<TopicInfo> out;
  out.reserve(topics_.size());
  for (const auto& [_, t] : topics_) out.push_back(t);
  return out;
}

Status TopicCatalog::persist(const TopicInfo& t) {
  return kv_.put(std::string(kPrefix) + t.name, to_json(t), /*sync=*/true);
}

Status TopicCatalog::create(std::string_view name, uint32_t partitions,
                            std::map<std::string, std::string> configs, TopicInfo* out) {
  if (!valid_name(name)) return Status::Error(Errc::InvalidArgument, "invalid topic name");
  if (partitions == 0) return Status::Error(Errc::InvalidArgument, "partitions must be > 0");
  std::lock_guard lk(mu_);
  if (auto it = topics_.find(name); it != topics_.end()) {
    if (out) *out = it->second;
    return Status::Error(Errc::InvalidArgument, std::string(kExists));
  }
  TopicInfo t{std::string(name), partitions, random_id(), std::move(configs)};
  if (Status s = persist(t); !s.ok()) return s;
  if (out) *out = t;
  topics_.emplace(t.name, std::move(t));
  return Status::Ok();
}

Status TopicCatalog::remove(std::string_view name) {
  std::lock_guard lk(mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return Status::Error(Errc::NotFound, "unknown topic");
  if (Status s = kv_.del(std::string(kPrefix) + std::string(name), true); !s.ok()) return s;
  topics_.erase(it);
  return Status::Ok();
}

Status TopicCatalog::set_partitions(std::string_view name, uint32_t partitions) {
  std::lock_guard lk(mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return Status::Error(Errc::NotFound, "unknown topic");
  if (partitions <= it->second.partitions)
    return Status::Error(Errc::InvalidArgument, "partition count can only grow");
  TopicInfo t = it->second;
  t.partitions = partitions;
  if (Status s = persist(t); !s.ok()) return s;
  it->second = std::move(t);
  return Status::Ok();
}

Status TopicCatalog::update_configs(
    std::string_view name, const std::map<std::string, std::optional<std::string>>& changes) {
  std::lock_guard lk(mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return Status::Error(Errc::NotFound, "unknown topic");
  TopicInfo t = it->second;
  for (const auto& [k, v] : changes) {
    if (v)
      t.configs[k] = *v;
    else
      t.configs.erase(k);
  }
  if (Status s = persist(t); !s.ok()) return s;
  it->second = std::move(t);
  return Status::Ok();
}

}  // namespace unimq::meta
