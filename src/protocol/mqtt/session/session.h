// An MQTT session: the state that outlives a network connection (subscriptions, QoS 1/2
// inflight state, the pending queue, the will). Owned by its home shard (chosen by client
// id) and touched only on that shard's thread. A connected session points at its
// MqttConnection; a disconnected persistent session keeps queuing QoS > 0 messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/message.h"
#include "core/subscription_index.h"
#include "net/timer.h"
#include "protocol/mqtt/codec/packet.h"
#include "protocol/mqtt/delivery.h"
#include "protocol/mqtt/lazy.h"

namespace unimq::mqtt {

class MqttConnection;
class Shard;

struct SessionSubscription {
  std::string filter;  // the real filter
  std::string group;   // share group, empty if not shared
  core::SubscriptionOptions options;
};

struct InflightMessage {
  Outbound out;
  bool released = false;  // QoS 2: PUBREC received, PUBREL sent, awaiting PUBCOMP
  uint64_t seq = 0;       // send order, for redelivery in order
};

class Session {
 public:
  static constexpr uint32_t kNeverExpires = 0xFFFFFFFF;

  Session(Shard& shard, uint64_t id, std::string client_id);
  ~Session();

  uint64_t id() const { return id_; }
  const std::string& client_id() const { return client_id_; }
  Shard& shard() { return shard_; }

  // Delivers a routed message: sends now if connected and the window allows, else queues
  // (QoS > 0, or QoS 0 while connected but blocked) within the queue bound.
  void deliver(const core::MessagePtr& msg, uint8_t qos, bool retain,
               const std::vector<uint32_t>& subscription_ids, uint64_t share_key = 0);
  // Removes and returns the messages from share groups that this session was given but that
  // its client has not finished receiving (queued, or in flight and not yet acknowledged or,
  // for QoS 2, not yet PUBREC'd): when the session ends, another member should get them.
  std::vector<Outbound> take_unfinished_shared();
  // Sends queued messages while the inflight window and the connection allow.
  void pump();
  // Resends inflight messages (PUBLISH with DUP, or PUBREL) after a reconnect.
  void resend_inflight();

  void on_puback(uint16_t packet_id);
  bool on_pubrec(uint16_t packet_id, uint8_t reason);  // false if unknown id
  void on_pubcomp(uint16_t packet_id);

  void attach(MqttConnection* conn);
  void detach();
  MqttConnection* connection() const { return conn_; }
  bool connected() const { return conn_ != nullptr; }

  // Will handling (stored here because a delayed will outlives the connection).
  void set_will(std::optional<core::MessagePtr> will, uint32_t delay_s);
  void clear_will();
  // Called when the connection ends without a normal DISCONNECT: publish now or arm delay.
  void trigger_will();
  // Publishes a pending (delayed) will now, if any.
  void fire_pending_will();
  void cancel_pending_will();

  // The will to keep in storage: the connection's, or a delayed one still pending.
  core::MessagePtr stored_will() const;
  uint32_t will_delay() const { return wills_ ? wills_->delay : 0; }

  void arm_expiry(std::function<void()> on_expire);
  void arm_expiry_after(uint32_t seconds, std::function<void()> on_expire);

  // Journal cursors: per stream, the first offset this session may still need (its oldest
  // queued or inflight journaled message, else the end of what it has seen).
  std::map<uint32_t, int64_t> cursors() const;
  void note_seen(uint32_t stream, int64_t next_offset);
  // The session now ends with its connection: its cursors will never be stored.
  void forget_cursors() {
    if (journal_) Seen().swap(journal_->seen);
  }

  void cancel_expiry();

  size_t inflight_count() const { return inflight_.size(); }
  size_t queued_count() const { return queue_ ? queue_->size() : 0; }

 private:
  bool send_now(Outbound& out);  // false if it could not be sent (dropped or blocked)
  void track(const Outbound& out);
  void untrack(const Outbound& out);
  void erase_inflight(std::unordered_map<uint16_t, InflightMessage>::iterator it);
  void enqueue(Outbound out);
  uint16_t next_packet_id();

  // Fields ordered to pack (public state included): one Session per client.
  Shard& shard_;
  uint64_t id_;
  MqttConnection* conn_ = nullptr;
  Lazy<std::unordered_map<uint16_t, InflightMessage>> inflight_;  // first QoS 1/2 send
  // Non-null only while messages are queued: an empty std::deque still holds ~600 bytes and
  // most sessions never queue anything.
  std::unique_ptr<std::deque<Outbound>> queue_;
  uint64_t send_seq_ = 0;
  // Journal offsets held by queued/inflight messages, per stream; allocated by the first one.
  using Outstanding = std::map<uint32_t, std::multiset<int64_t>>;
  // Per stream, the end of what this session has seen; sorted by stream. A flat vector: every
  // session has an entry per stream and a map node costs 64 bytes each. Only sessions that
  // outlive their connection keep one (see note_seen).
  using Seen = std::vector<std::pair<uint32_t, int64_t>>;
  struct Journal {
    Outstanding outstanding;
    Seen seen;
  };
  Journal& journal() {
    if (!journal_) journal_ = std::make_unique<Journal>();
    return *journal_;
  }
  std::unique_ptr<Journal> journal_;  // sessions that never touch the journal have none

  // Allocated only while there is a will or a delayed one pending (most sessions have none).
  struct Wills {
    std::optional<core::MessagePtr> will;     // the connection's
    std::optional<core::MessagePtr> pending;  // triggered, waiting out its delay
    std::unique_ptr<net::Timer> timer;
    uint32_t delay = 0;  // of the connection's will, in seconds
  };
  void release_unused_wills();
  std::unique_ptr<Wills> wills_;
  std::unique_ptr<net::Timer> expiry_timer_;

 public:
  int64_t connected_at_ms = 0;
  // Keyed by the full filter. Lazy: many clients (e.g. publishers) never subscribe.
  Lazy<std::map<std::string, SessionSubscription>> subscriptions;
  Lazy<std::unordered_set<uint16_t>> inbound_qos2;  // awaiting PUBREL
  const std::string& username() const;
  void set_username(std::string name);

 private:
  std::unique_ptr<std::string> username_;  // null when empty (most clients send none)
  std::string client_id_;

 public:
  // Expiry after disconnect: 0 ends the session at once.
  uint32_t expiry_interval = 0;
  uint16_t keep_alive = 0;
  uint16_t send_window = 65535;  // min(client receive maximum, server max_inflight)

 private:
  uint16_t last_packet_id_ = 0;

 public:
  Version version = Version::V311;
  bool clean_start = true;
  bool cursors_dirty = false;
  bool counted_persistent = false;
};

}  // namespace unimq::mqtt
