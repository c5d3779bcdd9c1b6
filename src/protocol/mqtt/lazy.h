// A container member that allocates nothing until it is first written to. An empty
// std::unordered_map/set still takes 56 bytes inline; this takes 8, which matters for state
// most sessions and connections never use (QoS 1/2 inflight maps, topic aliases) when there
// are tens of thousands of idle clients.
#pragma once

#include <cstddef>
#include <memory>

namespace unimq::mqtt {

template <typename C>
class Lazy {
 public:
  size_t size() const { return c_ ? c_->size() : 0; }
  bool empty() const { return !c_ || c_->empty(); }
  template <typename K>
  size_t count(const K& k) const {
    return c_ ? c_->count(k) : 0;
  }
  // Write access: creates the container.
  C& get() {
    if (!c_) c_ = std::make_unique<C>();
    return *c_;
  }
  C& operator*() { return get(); }
  C* operator->() { return &get(); }
  // Frees the container once it is empty again (a session back to idle).
  void release_if_empty() {
    if (c_ && c_->empty()) c_.reset();
  }
  // Read-only iteration; an absent container iterates as an empty one.
  typename C::const_iterator begin() const { return c_ ? c_->cbegin() : none().cbegin(); }
  typename C::const_iterator end() const { return c_ ? c_->cend() : none().cend(); }

 private:
  static const C& none() {
    static const C empty;
    return empty;
  }
  std::unique_ptr<C> c_;
};

}  // namespace unimq::mqtt
