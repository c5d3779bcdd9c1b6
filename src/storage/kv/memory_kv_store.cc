// In-memory backend: a sorted map behind a reader-writer lock. Nothing is durable, so the
// sync flag is ignored.
#include <map>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "storage/kv/kv_backends.h"

namespace unimq::storage {
namespace {

// Scans copy this many entries per lock hold and call fn unlocked, so fn may write to the
// store (e.g. delete expired sessions) without deadlocking, and writers are not starved.
constexpr size_t kScanChunk = 256;

class MemoryKvStore final : public KvStore {
 public:
  Status put(std::string_view key, std::string_view value, bool /*sync*/) override {
    std::unique_lock lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) {
      map_.emplace(std::string(key), std::string(value));
    } else {
      it->second.assign(value);
    }
    return Status::Ok();
  }

  Status del(std::string_view key, bool /*sync*/) override {
    std::unique_lock lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) map_.erase(it);
    return Status::Ok();
  }

  Status write(const std::vector<KvWrite>& batch, bool /*sync*/) override {
    // One lock hold for the whole batch: readers see all of it or none of it. Nothing here
    // can fail half-way except allocation, which terminates anyway.
    std::unique_lock lock(mu_);
    for (const KvWrite& w : batch) {
      if (w.op == KvWrite::Op::Put) {
        map_.insert_or_assign(w.key, w.value);
      } else {
        map_.erase(w.key);
      }
    }
    return Status::Ok();
  }

  std::optional<std::string> get(std::string_view key) override {
    std::shared_lock lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }

  Status scan(std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    std::vector<std::pair<std::string, std::string>> chunk;
    std::string resume(prefix);  // first key of the next chunk is >= resume
    bool inclusive = true;
    for (;;) {
      chunk.clear();
      {
        std::shared_lock lock(mu_);
        auto it = inclusive ? map_.lower_bound(resume) : map_.upper_bound(resume);
        for (; it != map_.end() && chunk.size() < kScanChunk; ++it) {
          if (!it->first.starts_with(prefix)) break;
          chunk.emplace_back(it->first, it->second);
        }
      }
      for (const auto& [k, v] : chunk) {
        if (!fn(k, v)) return Status::Ok();
      }
      if (chunk.size() < kScanChunk) return Status::Ok();
      resume = std::move(chunk.back().first);
      inclusive = false;
    }
  }

 private:
  std::shared_mutex mu_;
  std::map<std::string, std::string, std::less<>> map_;
};

}  // namespace

std::unique_ptr<KvStore> make_memory_kv_store() { return std::make_unique<MemoryKvStore>(); }

}  // namespace unimq::storage
