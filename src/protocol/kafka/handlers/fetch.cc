// Fetch: raw batches straight from the stream (no re-encoding), sent zero-copy. Long polling:
// when fewer than min_bytes are available the request waits up to max_wait_ms and is woken by
// appends to any of its partitions (push, no polling). No incremental fetch sessions: the
// answer carries session id 0, which tells clients to send full requests.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "net/event_loop.h"
#include "net/timer.h"
#include "protocol/kafka/codec/generated/fetch.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

namespace {

using Resp = codec::FetchResponse;
using PartResp = Resp::FetchableTopicResponse::PartitionData;

class FetchOp : public std::enable_shared_from_this<FetchOp> {
 public:
  FetchOp(KafkaBroker& broker, Responder respond, codec::FetchRequest req)
      : broker_(broker), respond_(std::move(respond)), req_(std::move(req)) {}

  // First attempt, on the connection's loop.
  void start() {
    if (attempt(false)) return;
    self_ = shared_from_this();
    timer_ = std::make_unique<net::Timer>(respond_.loop());
    std::weak_ptr<FetchOp> weak = self_;
    timer_->arm(std::chrono::milliseconds(std::max(0, req_.max_wait_ms)), [weak] {
      if (auto op = weak.lock()) op->wake(true);
    });
    register_waiters();
  }

 private:
  void register_waiters() {
    std::weak_ptr<FetchOp> weak = shared_from_this();
    net::EventLoop* loop = &respond_.loop();
    for (auto& log : logs_) {
      const uint64_t token = log->add_waiter([weak, loop] {
        loop->post([weak] {
          if (auto op = weak.lock()) op->wake(false);
        });
      });
      waits_.emplace_back(log, token);
    }
  }
  void drop_waiters() {
    for (auto& [log, token] : waits_) log->remove_waiter(token);
    waits_.clear();
  }

  void wake(bool final) {
    if (done_) return;
    drop_waiters();
    if (attempt(final)) {
      auto keep = std::move(self_);  // destroyed when this call returns
      timer_->cancel();
      return;
    }
    register_waiters();
  }

  // Builds the answer; sends it and returns true when it is good enough (or final).
  bool attempt(bool final) {
    Resp resp;
    logs_.clear();
    int64_t budget = req_.max_bytes > 0 ? req_.max_bytes : INT32_MAX;
    int64_t total = 0;
    bool error = false;
    for (const auto& t : req_.topics) {
      auto& tr = resp.responses.emplace_back();
      tr.topic = t.topic;
      tr.topic_id = t.topic_id;
      for (const auto& p : t.partitions) {
        PartResp& pr = tr.partitions.emplace_back();
        pr.partition_index = p.partition;
        pr.aborted_transactions.emplace();
        pr.records = codec::Records::of({});
        auto log = broker_.partition(t.topic, p.partition);
        if (!log) {
          pr.error_code = code(ErrorCode::kUnknownTopicOrPartition);
          pr.high_watermark = pr.last_stable_offset = pr.log_start_offset = -1;
          error = true;
          continue;
        }
        storage::Stream& s = log->stream();
        const int64_t start = s.earliest_offset();
        const int64_t hwm = s.latest_offset();
        pr.high_watermark = pr.last_stable_offset = hwm;
        pr.log_start_offset = start;
        if (p.fetch_offset < start || p.fetch_offset > hwm) {
          pr.error_code = code(ErrorCode::kOffsetOutOfRange);
          error = true;
          continue;
        }
        logs_.push_back(log);
        if (p.fetch_offset == hwm || budget <= 0 || p.partition_max_bytes <= 0) continue;
        const size_t max = size_t(std::min<int64_t>(budget, p.partition_max_bytes));
        storage::ReadResult r = s.read(p.fetch_offset, max);
        if (!r.status.ok()) {
          pr.error_code = code(from_storage(r.status));
          error = true;
          continue;
        }
        if (r.bytes.empty()) continue;
        auto owner = std::make_shared<std::vector<uint8_t>>(std::move(r.bytes));
        pr.records = codec::Records::of(*owner, owner);
        total += int64_t(owner->size());
        budget -= int64_t(owner->size());
        broker_.metrics().fetched_bytes->inc(owner->size());
        broker_.metrics().fetched_batches->inc();
      }
    }
    if (!final && !error && total < std::max(1, req_.min_bytes) && req_.max_wait_ms > 0 &&
        !logs_.empty())
      return false;
    done_ = true;
    respond_.send(resp);
    return true;
  }

  KafkaBroker& broker_;
  Responder respond_;
  codec::FetchRequest req_;
  std::vector<std::shared_ptr<PartitionLog>> logs_;  // partitions to wait on
  std::vector<std::pair<std::shared_ptr<PartitionLog>, uint64_t>> waits_;
  std::unique_ptr<net::Timer> timer_;
  std::shared_ptr<FetchOp> self_;  // keeps the op alive while it waits
  bool done_ = false;
};

}  // namespace

void handle_fetch(RequestContext& ctx) {
  codec::FetchRequest req;
  if (!ctx.decode(req)) return;
  auto op = std::make_shared<FetchOp>(ctx.broker, ctx.respond, std::move(req));
  op->start();
}

}  // namespace unimq::kafka
