#include "protocol/amqp/broker/queue.h"

#include <algorithm>
#include <chrono>

#include "protocol/amqp/broker/queue_journal.h"

namespace unimq::amqp {
namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Dispatch hands at most this many deliveries per lock hold, so one busy queue cannot starve
// the thread's other work or hold its lock long.
constexpr size_t kDispatchBatch = 256;

}  // namespace

Queue::Queue(QueueOwner* owner, QueueSpec spec)
    : owner_(owner), spec_(std::move(spec)), last_used_ms_(steady_ms()) {}

Queue::~Queue() = default;

uint32_t Queue::message_count() const {
  std::lock_guard lk(mu_);
  return static_cast<uint32_t>(ready_.size());
}

uint32_t Queue::consumer_count() const {
  std::lock_guard lk(mu_);
  return static_cast<uint32_t>(consumers_.size());
}

int64_t Queue::expiry_for(const Message& m, int64_t now) const {
  std::optional<int64_t> ttl = spec_.settings.message_ttl_ms;
  if (m.expiration_ms && (!ttl || *m.expiration_ms < *ttl)) ttl = m.expiration_ms;
  return ttl ? now + *ttl : 0;
}

void Queue::settle(const Entry& e) {
  if (!journal_) return;
  if (e.offset >= 0)
    journal_->settle_offset(e.offset);
  else if (e.offset == -2)
    journal_->settle_pending(e.id);
}

Queue::Enqueue Queue::enqueue(const MessagePtr& m, StoreWait* wait) {
  std::vector<DeadLetter> dead;
  uint64_t journal_id = 0;
  {
    std::unique_lock lk(mu_);
    if (deleted()) return Enqueue::Deleted;
    const auto& s = spec_.settings;
    if (s.reject_publish &&
        ((s.max_length && static_cast<int64_t>(ready_.size()) >= *s.max_length) ||
         (s.max_length_bytes &&
          static_cast<int64_t>(ready_bytes_ + m->body.size()) > *s.max_length_bytes))) {
      if (!s.reject_publish_dlx) return Enqueue::Rejected;
      // reject-publish-dlx: nack the publisher and dead-letter the message.
      lk.unlock();
      dead.push_back({m, DeathReason::MaxLen});
      finish(dead);
      return Enqueue::Rejected;
    }
    const int64_t now = (s.message_ttl_ms || m->expiration_ms) ? steady_ms() : 0;
    Entry e{m, next_id_++, -1, expiry_for(*m, now), false};
    if (journal_ && m->persistent()) {
      e.offset = -2;
      journal_id = e.id;
      journal_->will_append();
      if (wait) wait->add();
    }
    push_ready(std::move(e));
    enforce_limits(dead);
    run_dispatch(lk, dead, now);
  }
  // Outside the lock: the append may block on journal backpressure, and its completion
  // (Queue::stored, on a storage thread) takes the lock.
  if (journal_id) journal_->append(weak_from_this(), *m, journal_id, wait);
  finish(dead);
  return Enqueue::Ok;
}

void Queue::push_ready(Entry e) {
  ready_bytes_ += e.msg->body.size();
  if (!spec_.settings.max_priority) {
    ready_.push_back(std::move(e));
    return;
  }
  e.priority = std::min(e.msg->priority, *spec_.settings.max_priority);
  auto pos = ready_.end();
  while (pos != ready_.begin() && before(e, *std::prev(pos))) --pos;
  ready_.insert(pos, std::move(e));
}

void Queue::enforce_limits(std::vector<DeadLetter>& dead) {
  const auto& s = spec_.settings;
  auto over = [&] {
    return (s.max_length && static_cast<int64_t>(ready_.size()) > *s.max_length) ||
           (s.max_length_bytes && static_cast<int64_t>(ready_bytes_) > *s.max_length_bytes);
  };
  while (!ready_.empty() && over()) {
    Entry& h = ready_.front();
    ready_bytes_ -= h.msg->body.size();
    settle(h);
    dead.push_back({std::move(h.msg), DeathReason::MaxLen});
    ready_.pop_front();
  }
}

void Queue::drop_expired_heads(std::vector<DeadLetter>& dead, int64_t now) {
  // Strictly past: a TTL of 0 still reaches a consumer that is ready at publish time.
  while (!ready_.empty() && ready_.front().expires_at != 0 && ready_.front().expires_at < now) {
    Entry& h = ready_.front();
    ready_bytes_ -= h.msg->body.size();
    settle(h);
    dead.push_back({std::move(h.msg), DeathReason::Expired});
    ready_.pop_front();
  }
}

void Queue::collect(std::vector<Out>& out, std::vector<DeadLetter>& dead, int64_t now) {
  while (!ready_.empty() && !consumers_.empty() && out.size() < kDispatchBatch) {
    if (now) drop_expired_heads(dead, now);
    if (ready_.empty()) break;
    // Round-robin over consumers with credit, highest x-priority group first (a lower group
    // only gets messages while every higher one is out of credit); single-active-consumer
    // uses the first consumer only.
    ConsumerRec* pick = nullptr;
    const size_t total = spec_.settings.single_active_consumer ? 1 : consumers_.size();
    for (size_t g = 0; g < total && !pick;) {
      size_t end = g + 1;
      while (end < total && consumers_[end].priority == consumers_[g].priority) ++end;
      const size_t n = end - g;
      for (size_t k = 0; k < n; ++k) {
        ConsumerRec& c = consumers_[g + (rr_ + k) % n];
        const bool credit = c.o.no_ack || c.o.prefetch == 0 || c.in_flight < c.o.prefetch;
        if (credit && c.c->ready()) {
          pick = &c;
          rr_ = (rr_ + k + 1) % n;
          break;
        }
      }
      g = end;
    }
    if (!pick) break;
    Entry e = std::move(ready_.front());
    ready_.pop_front();
    ready_bytes_ -= e.msg->body.size();
    Delivery d{e.msg, e.id, e.redelivered};
    if (pick->o.no_ack) {
      settle(e);
    } else {
      ++pick->in_flight;
      unacked_.emplace(e.id, Unacked{std::move(e), pick->c.get()});
    }
    out.push_back({pick->c, std::move(d)});
  }
}

void Queue::run_dispatch(std::unique_lock<std::mutex>& lk, std::vector<DeadLetter>& dead,
                         int64_t now) {
  if (dispatching_) {
    dispatch_again_ = true;
    return;
  }
  dispatching_ = true;
  thread_local std::vector<Out> out;
  std::vector<Out> mine;
  mine.swap(out);  // re-entrant safe: a deliver() may dispatch another queue on this thread
  do {
    dispatch_again_ = false;
    mine.clear();
    collect(mine, dead, now ? now : steady_ms());
    now = 0;
    if (mine.empty()) break;
    lk.unlock();
    for (auto& o : mine) o.c->deliver(*this, o.d);
    mine.clear();
    lk.lock();
  } while (true);
  dispatching_ = false;
  mine.swap(out);
}

void Queue::finish(std::vector<DeadLetter>& dead) {
  if (!dead.empty()) owner_->dead_letter(*this, dead);
}

void Queue::dispatch() {
  std::vector<DeadLetter> dead;
  {
    std::unique_lock lk(mu_);
    if (deleted()) return;
    run_dispatch(lk, dead);
  }
  finish(dead);
}

Result Queue::consume(std::shared_ptr<Consumer> c, ConsumeOptions o) {
  std::vector<DeadLetter> dead;
  {
    std::unique_lock lk(mu_);
    if (deleted())
      return Result::Error(reply::kNotFound, "NOT_FOUND - queue '" + name() + "' deleted");
    const bool held_exclusively =
        !consumers_.empty() && std::any_of(consumers_.begin(), consumers_.end(),
                                           [](const ConsumerRec& r) { return r.o.exclusive; });
    if (held_exclusively || (o.exclusive && !consumers_.empty()))
      return Result::Error(reply::kAccessRefused, "ACCESS_REFUSED - queue '" + name() +
                                                      "' in vhost '" + spec_.vhost +
                                                      "' in exclusive use");
    // x-priority: consumers_ stays sorted, highest first (equal priorities in arrival order).
    const int64_t prio = arg_int(o.args, "x-priority").value_or(0);
    auto pos = std::find_if(consumers_.begin(), consumers_.end(),
                            [prio](const ConsumerRec& r) { return r.priority < prio; });
    consumers_.insert(pos, ConsumerRec{std::move(c), std::move(o), 0, prio});
    had_consumer_ = true;
    last_used_ms_ = steady_ms();
    run_dispatch(lk, dead);
  }
  finish(dead);
  return Result::Ok();
}

bool Queue::cancel(const Consumer* c) {
  bool now_unused = false;
  {
    std::lock_guard lk(mu_);
    auto it = std::find_if(consumers_.begin(), consumers_.end(),
                           [c](const ConsumerRec& r) { return r.c.get() == c; });
    if (it == consumers_.end()) return false;
    consumers_.erase(it);
    if (rr_ >= consumers_.size()) rr_ = 0;
    last_used_ms_ = steady_ms();
    now_unused = consumers_.empty() && spec_.auto_delete && had_consumer_ && !deleted();
  }
  if (now_unused)
    owner_->queue_unused(*this);
  else
    dispatch();  // single-active-consumer: the next one takes over
  return true;
}

std::optional<Queue::Got> Queue::get(bool no_ack) {
  std::vector<DeadLetter> dead;
  std::optional<Got> got;
  {
    std::lock_guard lk(mu_);
    last_used_ms_ = steady_ms();
    drop_expired_heads(dead, last_used_ms_);
    if (!ready_.empty()) {
      Entry e = std::move(ready_.front());
      ready_.pop_front();
      ready_bytes_ -= e.msg->body.size();
      got.emplace();
      got->delivery = Delivery{e.msg, e.id, e.redelivered};
      got->message_count = static_cast<uint32_t>(ready_.size());
      if (no_ack)
        settle(e);
      else
        unacked_.emplace(e.id, Unacked{std::move(e), nullptr});
    }
  }
  finish(dead);
  return got;
}

void Queue::ack(std::span<const uint64_t> ids) {
  std::vector<DeadLetter> dead;
  {
    std::unique_lock lk(mu_);
    bool freed = false;
    for (uint64_t id : ids) {
      auto it = unacked_.find(id);
      if (it == unacked_.end()) continue;
      if (it->second.by) {
        for (auto& c : consumers_)
          if (c.c.get() == it->second.by && c.in_flight > 0) {
            --c.in_flight;
            freed = true;
          }
      }
      settle(it->second.e);
      unacked_.erase(it);
    }
    if (freed) run_dispatch(lk, dead);
  }
  finish(dead);
}

void Queue::reject(std::span<const uint64_t> ids, bool requeue) {
  std::vector<DeadLetter> dead;
  {
    std::unique_lock lk(mu_);
    std::vector<Entry> back;
    for (uint64_t id : ids) {
      auto it = unacked_.find(id);
      if (it == unacked_.end()) continue;
      if (it->second.by)
        for (auto& c : consumers_)
          if (c.c.get() == it->second.by && c.in_flight > 0) --c.in_flight;
      Entry e = std::move(it->second.e);
      unacked_.erase(it);
      if (requeue && !deleted()) {
        e.redelivered = true;
        back.push_back(std::move(e));
      } else {
        settle(e);
        dead.push_back({std::move(e.msg), DeathReason::Rejected});
      }
    }
    if (!back.empty()) {
      // Back to the original positions: entry ids are publish order.
      std::sort(back.begin(), back.end(),
                [this](const Entry& a, const Entry& b) { return before(a, b); });
      std::deque<Entry> merged;
      auto r = ready_.begin();
      for (auto& e : back) {
        while (r != ready_.end() && before(*r, e)) merged.push_back(std::move(*r++));
        ready_bytes_ += e.msg->body.size();
        merged.push_back(std::move(e));
      }
      while (r != ready_.end()) merged.push_back(std::move(*r++));
      ready_.swap(merged);
      // As RabbitMQ: a drop-head queue pushed past its limit by requeued messages drops its
      // oldest (a reject-publish queue stays over it and refuses publishes meanwhile).
      if (!spec_.settings.reject_publish) enforce_limits(dead);
    }
    if (!deleted()) run_dispatch(lk, dead);
  }
  finish(dead);
}

uint32_t Queue::purge() {
  std::lock_guard lk(mu_);
  const auto n = static_cast<uint32_t>(ready_.size());
  for (const auto& e : ready_) settle(e);
  ready_.clear();
  ready_bytes_ = 0;
  return n;
}

uint32_t Queue::mark_deleted() {
  std::vector<ConsumerRec> gone;
  uint32_t n;
  {
    std::lock_guard lk(mu_);
    if (deleted_.exchange(true)) return 0;
    n = static_cast<uint32_t>(ready_.size());
    ready_.clear();
    unacked_.clear();
    ready_bytes_ = 0;
    gone.swap(consumers_);
  }
  for (auto& c : gone) c.c->cancelled();
  return n;
}

void Queue::touch() {
  std::lock_guard lk(mu_);
  last_used_ms_ = steady_ms();
}

bool Queue::tick(int64_t now_ms) {
  std::vector<DeadLetter> dead;
  bool unused = false;
  {
    std::unique_lock lk(mu_);
    if (deleted()) return false;
    drop_expired_heads(dead, now_ms);
    // Safety net for consumers that became ready without a dispatch() call.
    if (!ready_.empty() && !consumers_.empty()) run_dispatch(lk, dead);
    if (journal_) journal_->checkpoint(false);
    unused = spec_.settings.expires_ms && consumers_.empty() &&
             now_ms - last_used_ms_ >= *spec_.settings.expires_ms;
  }
  finish(dead);
  return unused;
}

void Queue::checkpoint() {
  std::lock_guard lk(mu_);
  if (journal_) journal_->checkpoint(true);
}

void Queue::attach_journal(std::unique_ptr<QueueJournal> j) { journal_ = std::move(j); }

void Queue::restore(const MessagePtr& m, int64_t offset, int64_t age_ms) {
  std::lock_guard lk(mu_);
  push_ready(Entry{m, next_id_++, offset,
                   expiry_for(*m, steady_ms() - std::max<int64_t>(age_ms, 0)), true});
  if (journal_) journal_->restored(offset);
}

void Queue::recovered() {
  std::vector<DeadLetter> dead;
  {
    std::lock_guard lk(mu_);
    enforce_limits(dead);
  }
  finish(dead);
}

void Queue::stored(uint64_t id, int64_t offset) {
  std::lock_guard lk(mu_);
  if (!journal_ || !journal_->on_stored(id, offset)) return;
  if (auto it = unacked_.find(id); it != unacked_.end()) {
    it->second.e.offset = offset;
    return;
  }
  if (spec_.settings.max_priority) {  // not sorted by id: search from the newest
    for (auto r = ready_.rbegin(); r != ready_.rend(); ++r)
      if (r->id == id) {
        r->offset = offset;
        return;
      }
    return;
  }
  auto it = std::lower_bound(ready_.begin(), ready_.end(), id,
                             [](const Entry& e, uint64_t v) { return e.id < v; });
  if (it != ready_.end() && it->id == id) it->offset = offset;
}

}  // namespace unimq::amqp
