#include "storage/journal/staging.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace unimq::storage::journal {
namespace {

constexpr size_t kMinCapacity = 256u << 10;
// The pool keeps at most this many buffers, none larger than kMaxPooled, kPoolBytes in all:
// enough for the streams being written at any moment, little for an idle broker.
constexpr size_t kMaxPooledBuffers = 8;
constexpr size_t kMaxPooled = 16u << 20;
constexpr size_t kPoolBytes = 64u << 20;

size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

struct Pool {
  std::mutex mu;
  std::vector<std::unique_ptr<StagingBuffer>> free;
  size_t bytes = 0;
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: streams may return buffers during exit
  return *p;
}

}  // namespace

StagingBuffer::~StagingBuffer() { std::free(mem_); }

void StagingBuffer::reset(size_t lead) {
  lead_ = lead;
  size_ = 0;
  if (cap_ < lead_ + kMinCapacity) grow(kMinCapacity);
}

void StagingBuffer::grow(size_t need) {
  // Room for any lead from the start: a buffer never regrows only because a lead changed.
  const size_t cap =
      round_up(std::max({lead_ + need, cap_ * 2, kMinCapacity + 2 * kAlign}), kAlign);
  auto* mem = static_cast<uint8_t*>(std::aligned_alloc(kAlign, cap));
  if (!mem) throw std::bad_alloc();
  if (size_ > 0) std::memcpy(mem + lead_, mem_ + lead_, size_);
  std::free(mem_);
  mem_ = mem;
  cap_ = cap;
}

size_t StagingBuffer::append(std::span<const uint8_t> bytes) {
  if (lead_ + size_ + bytes.size() > cap_) grow(size_ + bytes.size());
  const size_t at = size_;
  std::memcpy(mem_ + lead_ + at, bytes.data(), bytes.size());
  size_ += bytes.size();
  return at;
}

std::unique_ptr<StagingBuffer> take_staging(size_t lead) {
  std::unique_ptr<StagingBuffer> b;
  {
    Pool& p = pool();
    std::lock_guard g(p.mu);
    if (!p.free.empty()) {
      b = std::move(p.free.back());
      p.free.pop_back();
      p.bytes -= b->capacity();
    }
  }
  if (!b) b = std::make_unique<StagingBuffer>();
  b->reset(lead);
  return b;
}

void give_staging(std::unique_ptr<StagingBuffer> b) {
  if (!b || b->capacity() > kMaxPooled) return;
  Pool& p = pool();
  std::lock_guard g(p.mu);
  if (p.free.size() >= kMaxPooledBuffers || p.bytes + b->capacity() > kPoolBytes) return;
  p.bytes += b->capacity();
  p.free.push_back(std::move(b));
}

}  // namespace unimq::storage::journal
