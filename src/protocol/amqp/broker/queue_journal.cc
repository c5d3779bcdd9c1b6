#include "protocol/amqp/broker/queue_journal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "protocol/amqp/broker/queue.h"
#include "storage/kv_store.h"
#include "storage/stream.h"

namespace unimq::amqp {
namespace {

void put_i64(std::string& o, int64_t v) {
  for (int i = 7; i >= 0; --i)
    o.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
}
bool get_i64(std::string_view& in, int64_t& v) {
  if (in.size() < 8) return false;
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | static_cast<uint8_t>(in[i]);
  in.remove_prefix(8);
  v = static_cast<int64_t>(u);
  return true;
}

}  // namespace

void StoreWait::complete(bool ok) {
  if (!ok) failed.store(true, std::memory_order_relaxed);
  if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    if (done) done(!failed.load(std::memory_order_relaxed));
    delete this;
  }
}

QueueJournal::QueueJournal(std::shared_ptr<storage::Stream> stream, storage::KvStore& kv,
                           std::string kv_key)
    : stream_(std::move(stream)), kv_(kv), kv_key_(std::move(kv_key)) {
  // The cursor and settled offsets of the previous run.
  if (auto v = kv_.get(kv_key_)) {
    std::string_view in = *v;
    // cursor, then settled offsets above it as [first, last] runs (acks are mostly in order,
    // so a long-held early message costs one run, not one entry per later ack).
    int64_t first, last;
    if (get_i64(in, cursor_))
      while (get_i64(in, first) && get_i64(in, last))
        for (int64_t o = first; o <= last; ++o) settled_.insert(o);
  }
  if (cursor_ < stream_->earliest_offset()) cursor_ = stream_->earliest_offset();
  highest_stored_ = stream_->latest_offset() - 1;
}

QueueJournal::~QueueJournal() = default;

void QueueJournal::append(std::weak_ptr<Queue> q, const Message& m, uint64_t id, StoreWait* wait) {
  storage::AppendRecord r;
  r.key = m.routing_key;
  r.value = m.body;
  r.headers = {{"e", m.exchange}, {"p", m.properties}};
  stream_->append(std::span<const storage::AppendRecord>(&r, 1),
                  [q = std::move(q), id, wait](const storage::AppendResult& res) {
                    const bool ok = res.status.ok();
                    if (!ok) spdlog::error("amqp: journal append failed: {}", res.status.message);
                    if (auto queue = q.lock()) queue->stored(id, ok ? res.base_offset : -1);
                    if (wait) wait->complete(ok);
                  });
}

bool QueueJournal::on_stored(uint64_t id, int64_t offset) {
  --pending_;
  if (offset > highest_stored_) highest_stored_ = offset;
  if (settled_while_pending_.erase(id) > 0) {
    if (offset >= 0) {
      settled_.insert(offset);
      dirty_ = true;
    }
    return false;
  }
  if (offset < 0) return false;
  live_.insert(offset);
  return true;
}

void QueueJournal::settle_offset(int64_t offset) {
  live_.erase(offset);
  settled_.insert(offset);
  dirty_ = true;
}

void QueueJournal::settle_pending(uint64_t id) { settled_while_pending_.insert(id); }

void QueueJournal::checkpoint(bool sync) {
  if (!dirty_) return;
  // Appends still pending get offsets above every completed one (in-order completion), so
  // the cursor never passes them.
  int64_t cursor = highest_stored_ + 1;
  if (!live_.empty()) cursor = std::min(cursor, *live_.begin());
  settled_.erase(settled_.begin(), settled_.lower_bound(cursor));
  std::string v;
  put_i64(v, cursor);
  for (auto it = settled_.begin(); it != settled_.end();) {
    const int64_t first = *it;
    int64_t last = first;
    while (++it != settled_.end() && *it == last + 1) ++last;
    put_i64(v, first);
    put_i64(v, last);
  }
  if (storage::Status s = kv_.put(kv_key_, v, sync); !s.ok()) {
    spdlog::error("amqp: saving queue cursor {} failed: {}", kv_key_, s.message);
    return;
  }
  dirty_ = false;
  if (cursor > cursor_) {
    cursor_ = cursor;
    (void)stream_->delete_before(cursor_);
  }
}

void QueueJournal::recover(const std::function<void(MessagePtr, int64_t, int64_t)>& fn) {
  int64_t offset = cursor_;
  const int64_t end = stream_->latest_offset();
  std::vector<storage::Record> recs;
  while (offset < end) {
    recs.clear();
    if (storage::Status s = stream_->read_records(offset, 1 << 20, recs); !s.ok() || recs.empty()) {
      if (!s.ok()) spdlog::error("amqp: reading {} failed: {}", kv_key_, s.message);
      break;
    }
    for (auto& r : recs) {
      if (r.offset < offset) continue;
      offset = r.offset + 1;
      if (settled_.count(r.offset)) continue;
      std::string exchange, props;
      for (auto& h : r.headers) {
        if (h.key == "e")
          exchange = std::move(h.value);
        else if (h.key == "p")
          props = std::move(h.value);
      }
      MessagePtr m = make_message(std::move(exchange), r.key.value_or(""), std::move(props),
                                  r.value.value_or(""));
      if (m) fn(std::move(m), r.offset, r.timestamp_ms);
    }
  }
}

}  // namespace unimq::amqp
