#include "protocol/mqtt/session_table.h"

#include <functional>

#include "protocol/mqtt/session/session.h"

namespace unimq::mqtt {

namespace {

size_t hash_client(std::string_view client_id) { return std::hash<std::string_view>{}(client_id); }

size_t hash_id(uint64_t id) {  // splitmix64 finaliser: session ids are sequential
  id ^= id >> 30;
  id *= 0xbf58476d1ce4e5b9ull;
  id ^= id >> 27;
  id *= 0x94d049bb133111ebull;
  id ^= id >> 31;
  return static_cast<size_t>(id);
}

}  // namespace

SessionTable::~SessionTable() {
  for (Session* s : *this) delete s;
}

Session& SessionTable::insert(std::unique_ptr<Session> s) {
  if (Session* old = find(s->client_id())) erase(*old).reset();
  Session* p = s.release();
  by_client_.insert(p);
  by_id_.insert(p);
  return *p;
}

std::unique_ptr<Session> SessionTable::erase(Session& s) {
  if (!by_client_.erase(&s)) return nullptr;
  by_id_.erase(&s);
  return std::unique_ptr<Session>(&s);
}

size_t SessionTable::Index::home(const Session* s) const {
  size_t h = by_client_ ? hash_client(s->client_id()) : hash_id(s->id());
  return h & (slots_.size() - 1);
}

Session* SessionTable::Index::find_client(std::string_view client_id) const {
  if (size_ == 0) return nullptr;
  size_t mask = slots_.size() - 1;
  for (size_t i = hash_client(client_id) & mask; slots_[i] != nullptr; i = (i + 1) & mask) {
    if (slots_[i]->client_id() == client_id) return slots_[i];
  }
  return nullptr;
}

Session* SessionTable::Index::find_id(uint64_t id) const {
  if (size_ == 0) return nullptr;
  size_t mask = slots_.size() - 1;
  for (size_t i = hash_id(id) & mask; slots_[i] != nullptr; i = (i + 1) & mask) {
    if (slots_[i]->id() == id) return slots_[i];
  }
  return nullptr;
}

void SessionTable::Index::insert(Session* s) {
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();  // load factor at most 3/4
  size_t mask = slots_.size() - 1;
  size_t i = home(s);
  while (slots_[i] != nullptr) i = (i + 1) & mask;
  slots_[i] = s;
  ++size_;
}

bool SessionTable::Index::erase(Session* s) {
  if (size_ == 0) return false;
  size_t mask = slots_.size() - 1;
  size_t i = home(s);
  while (slots_[i] != s) {
    if (slots_[i] == nullptr) return false;
    i = (i + 1) & mask;
  }
  // Backward shift: pull later entries of the probe run into the hole when their home slot
  // does not lie (cyclically) between the hole and where they sit.
  for (size_t j = (i + 1) & mask; slots_[j] != nullptr; j = (j + 1) & mask) {
    size_t k = home(slots_[j]);
    bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (!stays) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = nullptr;
  --size_;
  return true;
}

void SessionTable::Index::grow() {
  std::vector<Session*> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 16 : old.size() * 2, nullptr);
  size_t mask = slots_.size() - 1;
  for (Session* s : old) {
    if (s == nullptr) continue;
    size_t i = home(s);
    while (slots_[i] != nullptr) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace unimq::mqtt
