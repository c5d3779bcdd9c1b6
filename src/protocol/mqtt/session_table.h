// The sessions of one shard, found by client id or by session id. Two open-addressing
// indexes of Session pointers (linear probing, backward-shift deletion) instead of node maps:
// about 25 bytes per session instead of ~110, which counts with tens of thousands of idle
// clients. Owns the sessions. Touched only on the shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace unimq::mqtt {

class Session;

class SessionTable {
 public:
  SessionTable() = default;
  ~SessionTable();
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  Session* find(std::string_view client_id) const { return by_client_.find_client(client_id); }
  Session* find(uint64_t id) const { return by_id_.find_id(id); }
  // Takes ownership; a session with the same client id is destroyed first.
  Session& insert(std::unique_ptr<Session> s);
  // Hands `s` back to the caller; nullptr if it is not in the table.
  std::unique_ptr<Session> erase(Session& s);
  size_t size() const { return by_id_.size(); }
  bool empty() const { return size() == 0; }

  // Every session, in no particular order. Do not insert or erase while iterating.
  class iterator {
   public:
    iterator(Session* const* p, Session* const* end) : p_(p), end_(end) { skip(); }
    Session* operator*() const { return *p_; }
    iterator& operator++() {
      ++p_;
      skip();
      return *this;
    }
    bool operator==(const iterator& o) const { return p_ == o.p_; }

   private:
    void skip() {
      while (p_ != end_ && *p_ == nullptr) ++p_;
    }
    Session* const* p_;
    Session* const* end_;
  };
  iterator begin() const { return by_id_.begin(); }
  iterator end() const { return by_id_.end(); }

 private:
  // One index: slots hold Session pointers, keyed by client id or by session id.
  class Index {
   public:
    explicit Index(bool by_client) : by_client_(by_client) {}
    size_t size() const { return size_; }
    Session* find_client(std::string_view client_id) const;
    Session* find_id(uint64_t id) const;
    void insert(Session* s);
    bool erase(Session* s);
    iterator begin() const { return {slots_.data(), slots_.data() + slots_.size()}; }
    iterator end() const { return {slots_.data() + slots_.size(), slots_.data() + slots_.size()}; }

   private:
    size_t home(const Session* s) const;  // the slot its key hashes to
    void grow();
    bool by_client_;
    std::vector<Session*> slots_;  // power-of-two size, or empty
    size_t size_ = 0;
  };
  Index by_client_{true};
  Index by_id_{false};
};

}  // namespace unimq::mqtt
