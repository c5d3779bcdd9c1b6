// Fetch: raw batches straight from the stream (no re-encoding), sent zero-copy. Long polling:
// when fewer than min_bytes are available the request waits up to max_wait_ms and is woken by
// appends to any of its partitions (push, no polling). No incremental fetch sessions: the
// answer carries session id 0, which tells clients to send full requests.
//
// The loop only reads what is in memory (the journal's tail cache: consumers at the tail).
// From the first partition whose batches are only in files on, the rest of the request is
// read on a fetch reader thread (net/blocking_pool.h) and the answer finished back on the
// loop, so a consumer far behind never stalls the other connections of its loop.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "net/blocking_pool.h"
#include "net/event_loop.h"
#include "net/timer.h"
#include "protocol/kafka/codec/generated/fetch.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"
#include "protocol/kafka/session/kafka_session.h"

namespace unimq::kafka {

namespace {

using Resp = codec::FetchResponse;
using PartResp = Resp::FetchableTopicResponse::PartitionData;

// One fetch request until it is answered. Owned by the handler's call, then by its own self_
// while it waits or reads (the timer, the waiters and the reader hold weak references); self_
// is only dropped on the loop, so the op (and its timer) is destroyed there. The session
// cancels it if the connection closes first (WaitingRequest).
class FetchOp : public WaitingRequest, public std::enable_shared_from_this<FetchOp> {
 public:
  FetchOp(KafkaBroker& broker, Responder respond, codec::FetchRequest req)
      : broker_(broker), respond_(std::move(respond)), req_(std::move(req)) {}

  void start() { attempt(false); }

  // The connection closed while the op waited or read: no answer; it goes now (or, if a
  // reader thread is on it, when that read is done) instead of at its deadline.
  void cancel() override {
    if (done_) return;
    done_ = true;
    drop_waiters();
    if (timer_) timer_->cancel();
    auto keep = release_self();  // destroyed on return unless a reader holds it
  }

 private:
  // A partition to wait on, with the high watermark its answer was built from.
  struct Watched {
    std::shared_ptr<PartitionLog> log;
    int64_t seen_hwm = 0;
  };

  // Builds an answer from scratch; sends it when good enough, else waits for data or time.
  void attempt(bool final) {
    resp_ = Resp{};
    topic_ = part_ = 0;
    budget_ = req_.max_bytes > 0 ? req_.max_bytes : INT32_MAX;
    total_ = 0;
    error_ = false;
    watched_.clear();
    if (collect(false)) return finish(final);
    // The rest needs the disk: read it on a reader thread, finish on the loop.
    reading_ = true;
    final_ = final;
    broker_.metrics().fetch_disk_reads->inc();
    keep_alive();
    std::weak_ptr<FetchOp> weak = self_;
    net::EventLoop* loop = &respond_.loop();
    broker_.fetch_readers().submit([weak, loop] {
      if (auto op = weak.lock()) {
        op->collect(true);  // never the last reference: self_ is set
        op->start_read_aheads();
      }
      loop->post([weak] {
        if (auto op = weak.lock()) {
          op->reading_ = false;
          op->finish(op->final_);
        }
      });
    });
  }

  // Adds the partitions from the cursor on to resp_. Without `disk`, stops (false) at the
  // first one whose batches are not in memory; the cursor then points at it.
  bool collect(bool disk) {
    for (; topic_ < req_.topics.size(); ++topic_, part_ = 0) {
      const auto& t = req_.topics[topic_];
      if (resp_.responses.size() == topic_) {
        auto& tr = resp_.responses.emplace_back();
        tr.topic = t.topic;
        tr.topic_id = t.topic_id;
      }
      for (; part_ < t.partitions.size(); ++part_)
        if (!collect_partition(t.topic, t.partitions[part_], disk)) return false;
    }
    return true;
  }

  bool collect_partition(const std::string& topic,
                         const codec::FetchRequest::FetchTopic::FetchPartition& p, bool disk) {
    auto log = broker_.partition(topic, p.partition);
    int64_t start = -1, hwm = -1;
    storage::SharedReadResult r;
    if (log) {
      storage::Stream& s = log->stream();
      start = s.earliest_offset();
      hwm = s.latest_offset();
      // Also at the end (no data yet): the read tells the journal a reader waits there, so it
      // keeps the next batches in memory for it.
      if (p.fetch_offset >= start && p.fetch_offset <= hwm && budget_ > 0 &&
          p.partition_max_bytes > 0) {
        const size_t max = size_t(std::min<int64_t>(budget_, p.partition_max_bytes));
        if (disk) {
          r = s.read_shared(p.fetch_offset, max);
          // Behind the tail: the consumer's next fetch starts where this one ends.
          if (r.status.ok() && !r.bytes.empty() && r.next_offset < r.high_watermark)
            ahead_.push_back({log, r.next_offset, max});
        } else if (auto cached = s.read_cached(p.fetch_offset, max)) {
          r = storage::Stream::shared(std::move(*cached));
        } else {
          return false;  // nothing added: collect(true) starts again from this partition
        }
      }
    }
    PartResp& pr = resp_.responses.back().partitions.emplace_back();
    pr.partition_index = p.partition;
    pr.aborted_transactions.emplace();
    pr.records = codec::Records::of({});
    // Never below the batches returned (an append may have landed since hwm was read).
    if (r.status.ok() && !r.bytes.empty()) hwm = std::max(hwm, r.high_watermark);
    pr.high_watermark = pr.last_stable_offset = hwm;
    pr.log_start_offset = start;
    if (!log) {
      pr.error_code = code(ErrorCode::kUnknownTopicOrPartition);
      error_ = true;
      return true;
    }
    if (p.fetch_offset < start || p.fetch_offset > hwm) {
      pr.error_code = code(ErrorCode::kOffsetOutOfRange);
      error_ = true;
      return true;
    }
    watched_.push_back({log, hwm});
    if (!r.status.ok()) {
      pr.error_code = code(from_storage(r.status));
      error_ = true;
      return true;
    }
    if (r.bytes.empty()) return true;
    // Sent without a copy: from the read buffer (an O_DIRECT read for batches in files).
    pr.records = codec::Records::of(r.bytes, std::move(r.owner));
    total_ += int64_t(r.bytes.size());
    budget_ -= int64_t(r.bytes.size());
    broker_.metrics().fetched_bytes->inc(r.bytes.size());
    broker_.metrics().fetched_batches->inc();
    return true;
  }

  // On a reader thread, after collect(true): the partitions' next ranges are read from the
  // files on the pool's other thread while this answer travels (Stream::read_ahead), the
  // way the kernel reads ahead for a buffered reader.
  void start_read_aheads() {
    for (auto& a : ahead_) {
      broker_.fetch_readers().submit(
          [a = std::move(a)] { a.log->stream().read_ahead(a.offset, a.max); });
    }
    ahead_.clear();
  }

  // While the op waits or reads, it owns itself (self_), and the session may cancel it.
  void keep_alive() {
    if (!self_) broker_.metrics().fetch_purgatory->add(1);
    self_ = shared_from_this();
    if (!cancellable_) {
      cancellable_ = true;
      respond_.cancel_on_close(weak_from_this());
    }
  }

  std::shared_ptr<FetchOp> release_self() {
    if (self_) broker_.metrics().fetch_purgatory->sub(1);
    return std::move(self_);
  }

  // On the loop, with resp_ complete.
  void finish(bool final) {
    if (done_) return;  // cancelled while a reader thread built the answer
    if (final || error_ || total_ >= std::max(1, req_.min_bytes) || req_.max_wait_ms <= 0 ||
        watched_.empty()) {
      done_ = true;
      auto keep = release_self();  // the op is destroyed when this returns, if nothing else
      if (timer_) timer_->cancel();
      respond_.send(resp_);
      return;
    }
    keep_alive();
    if (!timer_) {
      timer_ = std::make_unique<net::Timer>(respond_.loop());
      std::weak_ptr<FetchOp> weak = self_;
      timer_->arm(std::chrono::milliseconds(req_.max_wait_ms), [weak] {
        if (auto op = weak.lock()) op->wake(true);
      });
    }
    register_waiters();
    // An append that landed after the answer was built, before the waiters: look again now
    // rather than sleep through it.
    for (const auto& w : watched_)
      if (w.log->stream().latest_offset() != w.seen_hwm) {
        std::weak_ptr<FetchOp> weak = self_;
        respond_.loop().post([weak] {
          if (auto op = weak.lock()) op->wake(false);
        });
        break;
      }
  }

  void register_waiters() {
    std::weak_ptr<FetchOp> weak = shared_from_this();
    net::EventLoop* loop = &respond_.loop();
    for (auto& w : watched_) {
      const uint64_t token = w.log->add_waiter([weak, loop] {
        loop->post([weak] {
          if (auto op = weak.lock()) op->wake(false);
        });
      });
      waits_.emplace_back(w.log, token);
    }
  }
  void drop_waiters() {
    for (auto& [log, token] : waits_) log->remove_waiter(token);
    waits_.clear();
  }

  // On the loop: new data (final=false) or the deadline (true).
  void wake(bool final) {
    if (done_) return;
    if (reading_) {  // the read in flight decides; the deadline makes its answer final
      final_ = final_ || final;
      return;
    }
    drop_waiters();
    attempt(final);
  }

  KafkaBroker& broker_;
  Responder respond_;
  codec::FetchRequest req_;
  // The answer being built and where collect() is in the request.
  Resp resp_;
  size_t topic_ = 0, part_ = 0;
  int64_t budget_ = 0, total_ = 0;
  bool error_ = false;
  std::vector<Watched> watched_;  // partitions to wait on
  struct Ahead {
    std::shared_ptr<PartitionLog> log;
    int64_t offset = 0;
    size_t max = 0;
  };
  std::vector<Ahead> ahead_;  // read from the files: where the next fetches start
  std::vector<std::pair<std::shared_ptr<PartitionLog>, uint64_t>> waits_;
  std::unique_ptr<net::Timer> timer_;
  std::shared_ptr<FetchOp> self_;  // keeps the op alive while it waits
  bool reading_ = false;           // a reader thread owns resp_ and the cursor
  bool final_ = false;             // the answer being read goes out whatever its size
  bool done_ = false;
  bool cancellable_ = false;  // registered with the session (cancel_on_close)
};

}  // namespace

void handle_fetch(RequestContext& ctx) {
  codec::FetchRequest req;
  if (!ctx.decode(req)) return;
  auto op = std::make_shared<FetchOp>(ctx.broker, ctx.respond, std::move(req));
  op->start();
}

}  // namespace unimq::kafka
